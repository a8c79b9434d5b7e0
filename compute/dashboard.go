package compute

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// DashboardNat is one NAT's section of a dashboard: a single NAT instance, or a pair whose two
// members each draw their own line in every graph.
type DashboardNat struct {
	Name      string
	Pair      bool
	Members   []DashboardMember
	PublicIP  string   // the NAT's Elastic IP
	AlarmArns []string // every alarm of the NAT's instances
}

// DashboardMember is one instance of a NAT.
type DashboardMember struct {
	Name, InstanceID string
}

// series is one metric in a graph, drawn once per instance of the NAT.
type series struct {
	metric Metric
	stat   string
	label  string // after the instance's name in the legend
}

// panel is one graph of every NAT's section.
type panel struct {
	title  string
	period int // seconds: the script publishes every minute, EC2's network totals come every 5
	series []series
	// alarmLine draws an alarm's threshold across the graph; 0 draws none.
	alarmLine float64
}

// panels are the graphs of a NAT's section, in order; its alarms' states follow them. A metric
// with other dimensions than these joins with a case for them in DashboardNat.lines.
var panels = []panel{
	{"Connection table used (%)", 60, []series{{ConntrackUsedPercent, "Maximum", "used"}}, ConntrackAlarmPercent},
	{"Connection table drops, EC2 allowance exceeded (packets)", 60, []series{
		{ConntrackDrops, "Sum", "table drops"}, {AllowanceExceeded, "Sum", "allowance exceeded"}}, 0},
	{"Status checks failed", 60, []series{{StatusCheckFailed, "Maximum", "failed"}}, 0},
	{"Packets through the NAT (per 5 min)", 300, []series{
		{NetworkPacketsIn, "Sum", "in"}, {NetworkPacketsOut, "Sum", "out"}}, 0},
	{"Bytes through the NAT (per 5 min)", 300, []series{{NetworkIn, "Sum", "in"}, {NetworkOut, "Sum", "out"}}, 0},
}

// The dashboard grid is 24 columns wide: a header across, then three widgets a row.
const (
	gridWidth    = 24
	headerHeight = 3
	widgetWidth  = 8
	widgetHeight = 6
)

// widget is one widget of a CloudWatch dashboard body (CloudWatch API Reference, "Dashboard Body
// Structure and Syntax").
type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// DashboardBody renders the dashboard of a stack's NATs in region: per NAT, a header that names
// its instances, the panels, and its alarms' states.
func DashboardBody(region string, nats []DashboardNat) (string, error) {
	var widgets []widget
	y := 0
	perRow := gridWidth / widgetWidth
	for _, nat := range nats {
		widgets = append(widgets, widget{"text", 0, y, gridWidth, headerHeight, map[string]any{"markdown": nat.header()}})
		y += headerHeight
		cells, err := nat.cells(region)
		if err != nil {
			return "", err
		}
		for i, c := range cells {
			widgets = append(widgets, widget{c.kind, i % perRow * widgetWidth, y + i/perRow*widgetHeight, widgetWidth, widgetHeight, c.properties})
		}
		y += (len(cells) + perRow - 1) / perRow * widgetHeight
	}
	body, err := json.Marshal(map[string]any{"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets})
	return string(body), err
}

// cell is a widget before it is placed.
type cell struct {
	kind       string
	properties map[string]any
}

// pairPanels follow the panels in a pair's section: what its members publish of the pair.
var pairPanels = []panel{
	{"Takeovers, the active member, the identity whole", 60, []series{
		{Takeovers, "Sum", "takeovers"}, {ActiveMember, "Maximum", "active"}, {IdentityWhole, "Minimum", "identity whole"}}, 0},
}

// cells are the NAT's graphs, then its alarms' states.
func (n DashboardNat) cells(region string) ([]cell, error) {
	var out []cell
	shown := panels
	if n.Pair {
		shown = append(slices.Clone(panels), pairPanels...)
	}
	for _, p := range shown {
		properties, err := n.graph(region, p)
		if err != nil {
			return nil, err
		}
		out = append(out, cell{"metric", properties})
	}
	return append(out, cell{"alarm", map[string]any{"title": "Alarms", "alarms": n.AlarmArns, "sortBy": "stateUpdatedTimestamp"}}), nil
}

// header names the NAT's instances and, for a pair, how to tell which member is active now.
func (n DashboardNat) header() string {
	if !n.Pair {
		return fmt.Sprintf("## NAT `%s`\nInstance `%s`, Elastic IP `%s`.", n.Name, n.Members[0].InstanceID, n.PublicIP)
	}
	var members []string
	for _, m := range n.Members {
		members = append(members, fmt.Sprintf("`%s` (`%s`)", m.Name, m.InstanceID))
	}
	return fmt.Sprintf("## NAT pair `%s`\nMembers %s, a line each in every graph. The active member holds the Elastic IP `%s`: "+
		"`aws ec2 describe-addresses --public-ips %s --query 'Addresses[0].InstanceId'` names it.",
		n.Name, strings.Join(members, " and "), n.PublicIP, n.PublicIP)
}

// graph is a metric widget's properties: each series once per instance.
func (n DashboardNat) graph(region string, p panel) (map[string]any, error) {
	var metrics [][]any
	for _, s := range p.series {
		lines, err := n.lines(s.metric)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			metric := []any{s.metric.Namespace, s.metric.Name}
			for i, d := range s.metric.Dimensions {
				metric = append(metric, d, l.values[i])
			}
			metrics = append(metrics, append(metric, map[string]any{"stat": s.stat, "label": l.label + " " + s.label}))
		}
	}
	properties := map[string]any{
		"title": p.title, "region": region, "view": "timeSeries", "stacked": false, "period": p.period,
		"metrics": metrics, "yAxis": map[string]any{"left": map[string]any{"min": 0}},
	}
	if p.alarmLine != 0 {
		properties["annotations"] = map[string]any{"horizontal": []map[string]any{{"label": "alarm", "value": p.alarmLine}}}
	}
	return properties, nil
}

// line is one line a metric draws: the values of its dimensions, and its name in the legend.
type line struct {
	values []string
	label  string
}

// lines returns the lines a metric draws for the NAT: one per instance for a metric per
// instance or per pair member, one for a metric per pair.
func (n DashboardNat) lines(m Metric) ([]line, error) {
	var out []line
	switch {
	case slices.Equal(m.Dimensions, perInstance):
		for _, member := range n.Members {
			out = append(out, line{[]string{member.InstanceID}, member.Name})
		}
	case n.Pair && slices.Equal(m.Dimensions, perMember):
		for _, member := range n.Members {
			out = append(out, line{[]string{n.Name, member.Name}, member.Name})
		}
	case n.Pair && slices.Equal(m.Dimensions, perPair):
		out = append(out, line{[]string{n.Name}, n.Name})
	default:
		return nil, fmt.Errorf("compute: dashboard %s: no values for the dimensions %v of %s", n.Name, m.Dimensions, m.Name)
	}
	return out, nil
}

// DashboardURL is where the console shows a dashboard, in the partitions that have a public
// console; false for others (the isolated partitions' consoles are not public).
func DashboardURL(partition, region, name string) (string, bool) {
	host := map[string]string{
		"aws":        region + ".console.aws.amazon.com",
		"aws-cn":     "console.amazonaws.cn",
		"aws-us-gov": "console.amazonaws-us-gov.com",
	}[partition]
	if host == "" {
		return "", false
	}
	return fmt.Sprintf("https://%s/cloudwatch/home?region=%s#dashboards:name=%s", host, region, name), true
}
