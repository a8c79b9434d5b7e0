package lab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/mockgraph"
	"nat-instance/natpair"
)

// ec2InstanceMetrics are the AWS/EC2 metrics EC2 documents per instance, by InstanceId (EC2 User
// Guide, "List the available CloudWatch metrics for your instances": instance metrics and status
// check metrics).
var ec2InstanceMetrics = []string{
	"CPUUtilization", "DiskReadOps", "DiskWriteOps", "DiskReadBytes", "DiskWriteBytes",
	"MetadataNoToken", "MetadataNoTokenRejected", "NetworkIn", "NetworkOut", "NetworkPacketsIn", "NetworkPacketsOut",
	"CPUCreditUsage", "CPUCreditBalance", "CPUSurplusCreditBalance", "CPUSurplusCreditsCharged",
	"StatusCheckFailed", "StatusCheckFailed_Instance", "StatusCheckFailed_System", "StatusCheckFailed_AttachedEBS",
}

// dashboardWidget is one widget of a CloudWatch dashboard body (CloudWatch API Reference,
// "Dashboard Body Structure and Syntax"): position and size on a 24-column grid, properties by type.
type dashboardWidget struct {
	Type                    string
	X, Y, Width, Height     *int
	Properties              json.RawMessage
	metrics                 [][]any  // a metric widget's metrics
	alarms                  []string // an alarm widget's alarms
	markdown, region, title string
}

// parseDashboard reads a body as CloudWatch does, failing on anything it would refuse: unknown
// top-level fields, widgets off the grid or on top of each other, properties that do not fit
// their type, metrics not in CloudWatch's array form [namespace, name, dimension, value, ...,
// {rendering}].
func parseDashboard(t *testing.T, body string) []dashboardWidget {
	t.Helper()
	var dashboard struct {
		Widgets        []dashboardWidget `json:"widgets"`
		Start          string            `json:"start"`
		PeriodOverride string            `json:"periodOverride"`
	}
	decoder := json.NewDecoder(strings.NewReader(body))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&dashboard); err != nil {
		t.Fatalf("dashboard body: %v\n%s", err, body)
	}
	if len(dashboard.Widgets) == 0 || len(dashboard.Widgets) > 500 {
		t.Fatalf("%d widgets, want 1 to 500", len(dashboard.Widgets))
	}
	taken := map[[2]int]int{}
	for i := range dashboard.Widgets {
		w := &dashboard.Widgets[i]
		if w.X == nil || w.Y == nil || w.Width == nil || w.Height == nil {
			t.Fatalf("widget %d (%s) lacks a position or size", i, w.Type)
		}
		if *w.X < 0 || *w.Y < 0 || *w.Width < 1 || *w.Height < 1 || *w.X+*w.Width > 24 || *w.Height > 1000 {
			t.Errorf("widget %d (%s) at %d,%d size %dx%d is off the 24-column grid", i, w.Type, *w.X, *w.Y, *w.Width, *w.Height)
		}
		for x := *w.X; x < *w.X+*w.Width; x++ {
			for y := *w.Y; y < *w.Y+*w.Height; y++ {
				if other, ok := taken[[2]int{x, y}]; ok {
					t.Fatalf("widgets %d and %d overlap at %d,%d", other, i, x, y)
				}
				taken[[2]int{x, y}] = i
			}
		}
		w.read(t, i)
	}
	return dashboard.Widgets
}

// read decodes the widget's properties by its type.
func (w *dashboardWidget) read(t *testing.T, i int) {
	t.Helper()
	strict := func(v any) {
		decoder := json.NewDecoder(bytes.NewReader(w.Properties))
		decoder.DisallowUnknownFields()
		if err := decoder.Decode(v); err != nil {
			t.Fatalf("widget %d (%s) properties: %v: %s", i, w.Type, err, w.Properties)
		}
	}
	switch w.Type {
	case "text":
		var p struct{ Markdown string }
		strict(&p)
		w.markdown = p.Markdown
	case "alarm":
		var p struct {
			Title, SortBy string
			Alarms        []string
		}
		strict(&p)
		if len(p.Alarms) == 0 || len(p.Alarms) > 100 {
			t.Errorf("alarm widget %d lists %d alarms, want 1 to 100", i, len(p.Alarms))
		}
		w.alarms, w.title = p.Alarms, p.Title
	case "metric":
		var p struct {
			Title, Region, View string
			Stacked             bool
			Period              int
			Metrics             [][]any
			YAxis               map[string]map[string]float64
			Annotations         map[string][]struct {
				Label string
				Value float64
			}
		}
		strict(&p)
		if p.Region == "" || p.Title == "" || len(p.Metrics) == 0 || len(p.Metrics) > 100 || p.Period%60 != 0 {
			t.Errorf("metric widget %d: region %q, title %q, %d metrics, period %d", i, p.Region, p.Title, len(p.Metrics), p.Period)
		}
		for _, m := range p.Metrics {
			names := m
			if _, rendering := m[len(m)-1].(map[string]any); rendering {
				names = m[:len(m)-1]
			}
			if len(names) < 2 || len(names)%2 != 0 || slices.ContainsFunc(names, func(v any) bool { _, ok := v.(string); return !ok }) {
				t.Errorf("metric widget %d: %v is not [namespace, name, dimension, value, ..., {rendering}]", i, m)
			}
		}
		w.metrics, w.region, w.title = p.Metrics, p.Region, p.Title
	default:
		t.Errorf("widget %d has type %q, want text, metric or alarm", i, w.Type)
	}
}

// natHeader is how a NAT's section starts: its name.
var natHeader = regexp.MustCompile("^## NAT (?:pair )?`([a-z0-9-]+)`")

// dashboardSections splits the widgets by NAT, in order.
func dashboardSections(t *testing.T, widgets []dashboardWidget) (names []string, sections map[string][]dashboardWidget) {
	t.Helper()
	sections = map[string][]dashboardWidget{}
	for _, w := range widgets {
		if m := natHeader.FindStringSubmatch(w.markdown); m != nil {
			names = append(names, m[1])
			continue
		}
		if len(names) == 0 {
			t.Fatalf("a %s widget comes before any NAT's header", w.Type)
		}
		sections[names[len(names)-1]] = append(sections[names[len(names)-1]], w)
	}
	return names, sections
}

// checkDashboard checks the stack's dashboard: it parses as CloudWatch's, has a section per NAT
// in NAT order, and each section graphs what the NAT's instances publish (the metrics script's
// metrics in its namespace, EC2's documented instance metrics), for exactly those instances, and
// shows exactly their alarms.
func checkDashboard(t *testing.T, g *mockgraph.Graph, region string, nats []string) {
	t.Helper()
	dashboards := g.OfType(tDashboard)
	if len(dashboards) != 1 {
		t.Fatalf("%d dashboards, want one", len(dashboards))
	}
	names, sections := dashboardSections(t, parseDashboard(t, dashboards[0].String("dashboardBody")))
	if !slices.Equal(names, nats) {
		t.Fatalf("dashboard sections %v, want %v", names, nats)
	}
	distinct := map[string]bool{}
	for _, nat := range nats {
		instances := map[string]bool{}
		members := map[string]string{} // a pair's member names, to their instance ids
		var scriptRuns []string
		for _, inst := range g.OfType(tInstance) {
			if inst.Name == nat || inst.Name == natpair.MemberName(nat, 0) || inst.Name == natpair.MemberName(nat, 1) {
				instances[inst.ID] = true
				if inst.Name != nat {
					members[inst.Name] = inst.ID
				}
				if strings.Contains(userDataOf(t, inst), compute.NatMetricsScriptPath) {
					scriptRuns = append(scriptRuns, inst.ID)
				}
			}
		}
		var alarms []string
		for _, a := range g.OfType(tAlarm) {
			if dimensions := a.Object("dimensions"); instances[fmt.Sprint(dimensions["InstanceId"])] || (len(members) != 0 && dimensions[compute.PairDimension] == nat) {
				alarms = append(alarms, a.State["arn"].(string))
			}
		}
		graphed := map[string]bool{}
		alarmWidgets := 0
		for _, w := range sections[nat] {
			if w.Type == "alarm" {
				alarmWidgets++
				if !sameSet(w.alarms, alarms) {
					t.Errorf("%s: alarm widget shows %v, want the NAT's alarms %v", nat, w.alarms, alarms)
				}
			}
			if w.Type != "metric" {
				continue
			}
			if w.region != region {
				t.Errorf("%s: %q graphs region %s, want %s", nat, w.title, w.region, region)
			}
			seen := map[string]bool{}
			for _, m := range w.metrics {
				namespace, name, dimension, value := m[0].(string), m[1].(string), m[2].(string), m[3].(string)
				distinct[fmt.Sprint(m[:len(m)-1])] = true
				graphed[name] = true
				if dimension == compute.PairDimension && len(members) != 0 {
					checkPairLine(t, nat, m, members, seen)
					continue
				}
				seen[value] = true
				switch {
				case len(m) != 5 || dimension != "InstanceId":
					t.Errorf("%s: %v: want one dimension, InstanceId", nat, m)
				case namespace == compute.MetricsNamespace && !slices.ContainsFunc(compute.ScriptMetrics, func(p compute.Metric) bool {
					return p.Namespace == namespace && p.Name == name && slices.Equal(p.Dimensions, []string{dimension})
				}):
					t.Errorf("%s: %s/%s is not a metric the metrics script publishes", nat, namespace, name)
				case namespace == compute.MetricsNamespace && !slices.Contains(scriptRuns, value):
					t.Errorf("%s: %s/%s for %s, which does not run the metrics script", nat, namespace, name, value)
				case namespace == compute.EC2Namespace && !slices.Contains(ec2InstanceMetrics, name):
					t.Errorf("%s: %s/%s is not an EC2 instance metric", nat, namespace, name)
				case namespace != compute.MetricsNamespace && namespace != compute.EC2Namespace:
					t.Errorf("%s: %v: namespace %s publishes nothing of the stack's", nat, m, namespace)
				case !instances[value]:
					t.Errorf("%s: %q graphs %s, which is not one of its instances", nat, w.title, value)
				}
			}
			if len(seen) != len(instances) {
				t.Errorf("%s: %q graphs %d instances, want all %d of the NAT", nat, w.title, len(seen), len(instances))
			}
		}
		wanted := []string{"ConntrackUsedPercent", "ConntrackDrops", "AllowanceExceeded", "NetworkPacketsIn",
			"NetworkPacketsOut", "NetworkIn", "NetworkOut", "StatusCheckFailed"}
		if len(members) != 0 {
			wanted = append(wanted, "Takeovers", "ActiveMember", "IdentityWhole")
		}
		for _, want := range wanted {
			if !graphed[want] {
				t.Errorf("%s: nothing graphs %s", nat, want)
			}
		}
		if alarmWidgets != 1 {
			t.Errorf("%s: %d alarm widgets, want one", nat, alarmWidgets)
		}
	}
	t.Logf("the dashboard graphs %d metrics", len(distinct))
}

// checkPairLine checks a line of a pair's metric: one the members publish, with the pair's name
// and, for a member's own, one of its members' names; seen gains the member's instance.
func checkPairLine(t *testing.T, nat string, m []any, members map[string]string, seen map[string]bool) {
	t.Helper()
	var dimensions []string
	values := map[string]string{}
	for i := 2; i+1 < len(m); i += 2 {
		dimensions = append(dimensions, m[i].(string))
		values[m[i].(string)] = m[i+1].(string)
	}
	published := slices.ContainsFunc(compute.PairMetrics, func(p compute.Metric) bool {
		return p.Namespace == m[0] && p.Name == m[1] && slices.Equal(p.Dimensions, dimensions)
	})
	member, isMember := values[compute.MemberDimension]
	switch {
	case !published:
		t.Errorf("%s: %v is not a metric the pair's members publish", nat, m)
	case values[compute.PairDimension] != nat:
		t.Errorf("%s: %v is another pair's", nat, m)
	case isMember && members[member] == "":
		t.Errorf("%s: %v names %s, not one of its members", nat, m, member)
	case isMember:
		seen[members[member]] = true
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// The dashboard of every kind of stack: the lab, the production starting point (a pair per
// zone), NATs per zone and one NAT for three zones.
func TestDashboardShowsWhatTheNatsPublish(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		nats []string
	}{
		{"dev", stackConfig(t, "dev"), []string{"nat-instance"}},
		{"prod", stackConfig(t, "prod"), []string{"nat-instance", "nat-instance-2", "nat-instance-3"}},
		{"perZone", config("zoneCount", "3"), []string{"nat-instance", "nat-instance-2", "nat-instance-3"}},
		{"single", config("zoneCount", "3", "natStrategy", "single"), []string{"nat-instance"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := record(t, tc.cfg)
			checkDashboard(t, g, tc.cfg["aws:region"], tc.nats)
			dashboard := g.OfType(tDashboard)[0]
			name := "nat-instance-test-nat-lab-" + tc.cfg["aws:region"]
			if dashboard.String("dashboardName") != name {
				t.Errorf("dashboard named %q, want %q", dashboard.String("dashboardName"), name)
			}
			want := "https://" + tc.cfg["aws:region"] + ".console.aws.amazon.com/cloudwatch/home?region=" + tc.cfg["aws:region"] + "#dashboards:name=" + name
			if g.Outputs["dashboardUrl"] != want {
				t.Errorf("dashboardUrl = %v, want %s", g.Outputs["dashboardUrl"], want)
			}
		})
	}
}

// stackConfig is a stack file's configuration.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", stack)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// dashboard=false makes none and exports no URL.
func TestNoDashboardWhenTurnedOff(t *testing.T) {
	g := record(t, config("dashboard", "false"))
	if n := len(g.OfType(tDashboard)); n != 0 {
		t.Errorf("%d dashboards with dashboard=false", n)
	}
	if _, ok := g.Outputs["dashboardUrl"]; ok {
		t.Error("dashboardUrl exported without a dashboard")
	}
	for _, r := range g.Resources {
		if r.Type == "nat-instance:compute:Monitoring" {
			t.Error("a monitoring component with nothing in it")
		}
	}
}
