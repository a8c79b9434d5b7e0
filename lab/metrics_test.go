package lab

import (
	"encoding/json"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/mockgraph"
)

const tAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"

// roleOfInstance follows an instance to its profile's role.
func roleOfInstance(t *testing.T, g *mockgraph.Graph, inst mockgraph.Resource) mockgraph.Resource {
	t.Helper()
	profile := byIDName(t, g, inst.String("iamInstanceProfile"), tInstanceProfile)
	return byIDName(t, g, profile.String("role"), tRole)
}

// The NAT's role may publish metrics, to the NAT's namespace only; the private instances' role
// is unchanged: Session Manager and nothing else.
func TestOnlyTheNatRolePublishesMetricsToItsNamespace(t *testing.T) {
	g := record(t, config())
	natRole := roleOfInstance(t, g, named(t, g, tInstance, "nat-instance"))
	privateRole := roleOfInstance(t, g, named(t, g, tInstance, "private-ec2-10-40-2-101"))
	if natRole.URN == privateRole.URN {
		t.Fatal("the NAT and the private instances share a role: the private instances could publish metrics")
	}
	var natPolicies []string
	for _, p := range g.OfType(tRolePolicy) {
		switch p.String("role") {
		case privateRole.State["name"]:
			t.Errorf("the private instances' role has an inline policy %s: %s", p.Name, p.String("policy"))
		case natRole.State["name"]:
			natPolicies = append(natPolicies, p.String("policy"))
		}
	}
	if len(natPolicies) != 1 {
		t.Fatalf("NAT role inline policies %v, want one", natPolicies)
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Action    any
			Resource  any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(natPolicies[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 {
		t.Fatalf("NAT metrics policy %s, want one statement", natPolicies[0])
	}
	st := doc.Statement[0]
	if st.Effect != "Allow" || st.Action != "cloudwatch:PutMetricData" {
		t.Errorf("NAT metrics policy allows %v (%s), want cloudwatch:PutMetricData only", st.Action, st.Effect)
	}
	if got := st.Condition["StringEquals"]["cloudwatch:namespace"]; got != compute.MetricsNamespace {
		t.Errorf("NAT metrics policy namespace condition %q, want %q", got, compute.MetricsNamespace)
	}
}

// Each NAT instance, in every zone, and each member of a NAT pair gets the two alarms, on metrics its own metrics script
// publishes, for its own instance id.
func TestEveryNatHasCapacityAlarms(t *testing.T) {
	for _, cfg := range []map[string]string{config(), config("zoneCount", "3"), pairConfig()} {
		g := record(t, cfg)
		var alarms []mockgraph.Resource // capacity alarms, per instance; pairs also have status-check and identity alarms
		for _, a := range g.OfType(tAlarm) {
			if a.String("namespace") == compute.MetricsNamespace && a.Object("dimensions")["InstanceId"] != nil {
				alarms = append(alarms, a)
			}
		}
		nats := 0
		for _, inst := range g.OfType(tInstance) {
			if !strings.Contains(userDataOf(t, inst), compute.NatMetricsScriptPath) {
				continue
			}
			nats++
			want := map[string]struct {
				threshold float64
				statistic string
			}{
				compute.MetricConntrackUsedPercent: {compute.ConntrackAlarmPercent, "Maximum"},
				compute.MetricAllowanceExceeded:    {0, "Sum"},
			}
			for _, a := range alarms {
				if a.Object("dimensions")["InstanceId"] != inst.ID {
					continue
				}
				w, ok := want[a.String("metricName")]
				if !ok {
					t.Errorf("%s: unexpected alarm %s on %s", inst.Name, a.Name, a.String("metricName"))
					continue
				}
				delete(want, a.String("metricName"))
				if a.String("namespace") != compute.MetricsNamespace || a.Inputs["threshold"] != w.threshold ||
					a.String("comparisonOperator") != "GreaterThanThreshold" || a.String("statistic") != w.statistic {
					t.Errorf("%s: alarm %s = %v, want %s > %v (%s) in %s", inst.Name, a.Name, a.Inputs,
						a.String("metricName"), w.threshold, w.statistic, compute.MetricsNamespace)
				}
				if !strings.Contains(compute.NatMetricsScript, "metric "+a.String("metricName")+" ") {
					t.Errorf("alarm %s watches %s, which the metrics script never publishes", a.Name, a.String("metricName"))
				}
			}
			if len(want) > 0 {
				t.Errorf("%s has no alarm on %v", inst.Name, want)
			}
		}
		if nats == 0 || len(alarms) != 2*nats {
			t.Errorf("%d alarms for %d NAT instances, want two each", len(alarms), nats)
		}
	}
}

// The NAT's user data installs the metrics script and a timer that runs it every minute, with
// the namespace the role may write to.
func TestNatUserDataPublishesMetricsEveryMinute(t *testing.T) {
	g := record(t, config())
	userData := named(t, g, tInstance, "nat-instance").String("userData")
	for _, want := range []string{
		compute.NatMetricsScript,
		"ExecStart=" + compute.NatMetricsScriptPath + " " + compute.MetricsNamespace + "\n",
		"OnUnitActiveSec=1min",
		"RuntimeDirectoryPreserve=yes",
		"systemctl enable --now nat-instance-metrics.timer",
	} {
		if !strings.Contains(userData, want) {
			t.Errorf("NAT user data lacks %q", want)
		}
	}
	if strings.Contains(named(t, g, tInstance, "private-ec2-10-40-2-101").String("userData"), compute.NatMetricsScriptPath) {
		t.Error("a private instance publishes NAT metrics")
	}
}
