package lab

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
)

// pulumi destroy deletes what depends on a resource before it: each member interface goes
// before its pair's Elastic IP, which EC2 would not release while the active member's
// association (which no state holds) is on an interface.
func TestNatPairInterfacesGoBeforeTheElasticIp(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "zoneCount", "3", "natStrategy", "perZone"))
	for _, nat := range []string{"nat-instance", "nat-instance-2", "nat-instance-3"} {
		floating := named(t, g, tEip, nat)
		for _, suffix := range []string{"-a", "-b"} {
			if eni := named(t, g, tENI, nat+suffix); !slices.Contains(eni.DependsOn, floating.URN) {
				t.Errorf("%s's interface dependsOn %v, want the NAT's Elastic IP %s", nat+suffix, eni.DependsOn, floating.URN)
			}
		}
	}
}

// Each pair has an alarm on the metric its active member publishes: IdentityWhole below 1 in
// each of three minutes, or nothing published.
func TestNatPairIdentityAlarm(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "zoneCount", "2", "natStrategy", "perZone"))
	for _, nat := range []string{"nat-instance", "nat-instance-2"} {
		a := named(t, g, tMetricAlarm, nat+"-identity")
		if a.String("namespace") != compute.MetricsNamespace || a.String("metricName") != compute.MetricIdentityWhole ||
			a.Object("dimensions")[compute.PairDimension] != nat || a.String("statistic") != "Minimum" ||
			a.String("comparisonOperator") != "LessThanThreshold" || a.Inputs["threshold"] != 1.0 ||
			a.Inputs["evaluationPeriods"] != 3.0 || a.Inputs["datapointsToAlarm"] != 3.0 || a.String("treatMissingData") != "breaching" {
			t.Errorf("alarm %s = %v, want Minimum %s < 1 for %s in 3 of 3 minutes, missing data breaching",
				a.Name, a.Inputs, compute.MetricIdentityWhole, nat)
		}
		for _, member := range []string{nat + "-a", nat + "-b"} {
			if env := memberEnv(t, named(t, g, tInstance, member)); !strings.Contains(env, "NAT_PAIR_NAME="+nat+"\n") ||
				!strings.Contains(env, "NAT_METRICS_NAMESPACE="+compute.MetricsNamespace+"\n") {
				t.Errorf("%s's settings do not name the pair %s and namespace %s:\n%s", member, nat, compute.MetricsNamespace, env)
			}
		}
	}
	for _, want := range []string{"--metric-name " + compute.MetricIdentityWhole + " ", `--dimensions "` + compute.PairDimension + `=$NAT_PAIR_NAME"`,
		`--namespace "$NAT_METRICS_NAMESPACE"`} {
		if !strings.Contains(compute.NatPairIdentityScript, want) {
			t.Errorf("nat-pair-identity does not publish with %s", want)
		}
	}
}

// The role's read-only actions are exactly the describe calls the identity check makes.
func TestNatPairRoleReadsWhatTheCheckReads(t *testing.T) {
	var used []string
	for _, m := range regexp.MustCompile(`ec2 (describe-[a-z-]+)`).FindAllStringSubmatch(compute.NatPairIdentityScript, -1) {
		action := "ec2:"
		for _, word := range strings.Split(m[1], "-") {
			action += strings.ToUpper(word[:1]) + word[1:]
		}
		if !slices.Contains(used, action) {
			used = append(used, action)
		}
	}
	slices.Sort(used)
	if !slices.Equal(used, compute.IdentityReadActions) {
		t.Errorf("nat-pair-identity calls %v, the role allows %v", used, compute.IdentityReadActions)
	}
}
