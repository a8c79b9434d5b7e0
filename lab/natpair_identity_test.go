package lab

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/natpair"
)

// pulumi destroy deletes what depends on a resource before it: each member interface goes
// before its pair's Elastic IP, which EC2 would not release while the active member's
// association (which no state holds) is on an interface.
func TestNatPairInterfacesGoBeforeTheElasticIp(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "zoneCount", "3", "natStrategy", "perZone"))
	for _, nat := range []string{"nat-instance", "nat-instance-2", "nat-instance-3"} {
		floating := named(t, g, tEip, nat)
		for i := range natpair.Members {
			if eni := named(t, g, tENI, natpair.MemberName(nat, i)); !slices.Contains(eni.DependsOn, floating.URN) {
				t.Errorf("%s's interface dependsOn %v, want the NAT's Elastic IP %s", eni.Name, eni.DependsOn, floating.URN)
			}
		}
	}
}

// Each pair has two alarms on what its members publish: IdentityWhole below 1 in each of three
// minutes (CloudWatch's datapointsToAlarm defaults to evaluationPeriods), or nothing published;
// and a takeover in the last minute. Each member's settings name the pair and the member, the
// dimensions the scripts publish with.
func TestNatPairAlarms(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "zoneCount", "2", "natStrategy", "perZone"))
	for _, nat := range []string{"nat-instance", "nat-instance-2"} {
		a := named(t, g, tMetricAlarm, nat+"-identity")
		if a.String("namespace") != compute.MetricsNamespace || a.String("metricName") != compute.IdentityWhole.Name ||
			a.Object("dimensions")[compute.PairDimension] != nat || len(a.Object("dimensions")) != 1 || a.String("statistic") != "Minimum" ||
			a.String("comparisonOperator") != "LessThanThreshold" || a.Inputs["threshold"] != 1.0 || a.Inputs["period"] != 60.0 ||
			a.Inputs["evaluationPeriods"] != 3.0 || a.Inputs["datapointsToAlarm"] != nil || a.String("treatMissingData") != "breaching" {
			t.Errorf("alarm %s = %v, want Minimum %s < 1 for %s in 3 of 3 minutes, missing data breaching",
				a.Name, a.Inputs, compute.IdentityWhole.Name, nat)
		}
		a = named(t, g, tMetricAlarm, nat+"-takeover")
		if a.String("namespace") != compute.MetricsNamespace || a.String("metricName") != compute.Takeovers.Name ||
			a.Object("dimensions")[compute.PairDimension] != nat || len(a.Object("dimensions")) != 1 || a.String("statistic") != "Sum" ||
			a.String("comparisonOperator") != "GreaterThanThreshold" || a.Inputs["threshold"] != 0.0 || a.Inputs["period"] != 60.0 ||
			a.Inputs["evaluationPeriods"] != 1.0 || a.String("treatMissingData") != "notBreaching" {
			t.Errorf("alarm %s = %v, want Sum %s > 0 for %s in a minute, missing data not breaching",
				a.Name, a.Inputs, compute.Takeovers.Name, nat)
		}
		for _, member := range []string{natpair.MemberName(nat, 0), natpair.MemberName(nat, 1)} {
			if env := memberEnv(t, named(t, g, tInstance, member)); !strings.Contains(env, "NAT_PAIR_NAME="+nat+"\n") ||
				!strings.Contains(env, "NAT_MEMBER_NAME="+member+"\n") ||
				!strings.Contains(env, "NAT_METRICS_NAMESPACE="+compute.MetricsNamespace+"\n") {
				t.Errorf("%s's settings do not name the pair %s, the member and namespace %s:\n%s", member, nat, compute.MetricsNamespace, env)
			}
		}
	}
	for _, want := range []string{"--metric-name " + compute.IdentityWhole.Name + " ", `--dimensions "` + compute.PairDimension + `=$NAT_PAIR_NAME"`,
		`--namespace "$NAT_METRICS_NAMESPACE"`} {
		if !strings.Contains(natpair.IdentityScript, want) {
			t.Errorf("nat-pair-identity does not publish with %s", want)
		}
	}
}

// The role's read-only actions are exactly the describe calls the identity check makes.
func TestNatPairRoleReadsWhatTheCheckReads(t *testing.T) {
	var used []string
	for _, m := range regexp.MustCompile(`ec2 (describe-[a-z-]+)`).FindAllStringSubmatch(natpair.IdentityScript, -1) {
		action := "ec2:"
		for _, word := range strings.Split(m[1], "-") {
			action += strings.ToUpper(word[:1]) + word[1:]
		}
		if !slices.Contains(used, action) {
			used = append(used, action)
		}
	}
	slices.Sort(used)
	if !slices.Equal(used, natpair.IdentityReadActions) {
		t.Errorf("nat-pair-identity calls %v, the role allows %v", used, natpair.IdentityReadActions)
	}
}
