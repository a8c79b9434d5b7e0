package compute

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/userdata"
)

// scriptPublishes reads, off nat-metrics.sh, the metrics it puts: the names its put-metric-data
// data is built from, and the dimensions its metric() template gives each.
func scriptPublishes(t *testing.T) (names, dimensions []string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`\$\(metric ([A-Za-z]+) `).FindAllStringSubmatch(NatMetricsScript, -1) {
		names = append(names, m[1])
	}
	template := regexp.MustCompile(`(?m)^metric\(\) \{.*\n\s*printf '(.*)'`).FindStringSubmatch(NatMetricsScript)
	if template == nil || !strings.Contains(NatMetricsScript, `aws cloudwatch put-metric-data --region "$region" --namespace "$namespace" --metric-data "[$data]"`) {
		t.Fatal("nat-metrics.sh no longer builds its data with metric() and puts it with one put-metric-data")
	}
	for _, m := range regexp.MustCompile(`\{"Name":"([A-Za-z]+)"`).FindAllStringSubmatch(template[1], -1) {
		dimensions = append(dimensions, m[1])
	}
	return names, dimensions
}

// ScriptMetrics is exactly what the script publishes, in the namespace the NAT's user data gives
// it (and its role may write to), with the script's dimensions.
func TestScriptMetricsAreWhatTheScriptPublishes(t *testing.T) {
	names, dimensions := scriptPublishes(t)
	if len(names) != 4 || !slices.Equal(dimensions, []string{"InstanceId"}) {
		t.Fatalf("read %v by %v off the script", names, dimensions)
	}
	var listed []string
	for _, m := range ScriptMetrics {
		listed = append(listed, m.Name)
		if m.Namespace != MetricsNamespace || !slices.Equal(m.Dimensions, dimensions) {
			t.Errorf("%s is listed in %s by %v; the script publishes it in %s by %v", m.Name, m.Namespace, m.Dimensions, MetricsNamespace, dimensions)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values(names))) {
		t.Errorf("ScriptMetrics %v, the script publishes %v", listed, names)
	}
	unit, _ := userdata.Script{Steps: NatMetricsSteps()}.File("/etc/systemd/system/" + natMetricsUnit + ".service")
	if !strings.Contains(unit.Content, "\nExecStart="+NatMetricsScriptPath+" "+MetricsNamespace+"\n") {
		t.Errorf("the user data does not run the script with the namespace %s", MetricsNamespace)
	}
}

// Every alarm and every graph takes its metric from the published lists.
func TestAlarmsAndPanelsNamePublishedMetrics(t *testing.T) {
	published := slices.Concat(ScriptMetrics, PairMetrics, EC2Metrics)
	known := func(m Metric) bool {
		return slices.ContainsFunc(published, func(p Metric) bool {
			return p.Namespace == m.Namespace && p.Name == m.Name && slices.Equal(p.Dimensions, m.Dimensions)
		})
	}
	for _, a := range slices.Concat(capacityAlarms, memberAlarms, pairAlarms) {
		if !known(a.metric) {
			t.Errorf("alarm %s watches %v, which is not published", a.suffix, a.metric)
		}
	}
	for _, p := range slices.Concat(panels, pairPanels) {
		for _, s := range p.series {
			if !known(s.metric) {
				t.Errorf("panel %q graphs %v, which is not published", p.title, s.metric)
			}
		}
	}
}

// A metric whose dimensions the dashboard has no values for is an error, not a graph of nothing.
func TestDashboardRefusesAMetricItCannotPlace(t *testing.T) {
	nat := DashboardNat{Name: "nat", Members: []DashboardMember{{"nat", "i-1"}}, AlarmArns: []string{"arn:a"}}
	perPair := panel{title: "takeovers", period: 60, series: []series{{Takeovers, "Sum", "takeovers"}}}
	if _, err := nat.graph("ap-northeast-2", perPair); err == nil || !strings.Contains(err.Error(), "no values for the dimensions [NatPair] of Takeovers") {
		t.Errorf("error %v, want one naming the dimension and the metric", err)
	}
	if _, err := DashboardBody("ap-northeast-2", []DashboardNat{nat}); err != nil {
		t.Errorf("the NAT's own dashboard: %v", err)
	}
}

// The console URL per partition: the region's console in aws, the partition's own elsewhere,
// none where there is no public console.
func TestDashboardURL(t *testing.T) {
	for _, tc := range []struct{ partition, region, want string }{
		{"aws", "ap-northeast-2", "https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#dashboards:name=d"},
		{"aws-cn", "cn-north-1", "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=d"},
		{"aws-us-gov", "us-gov-west-1", "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#dashboards:name=d"},
		{"aws-iso", "us-iso-east-1", ""},
	} {
		if got, ok := DashboardURL(tc.partition, tc.region, "d"); got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %s: %q %v, want %q", tc.partition, tc.region, got, ok, tc.want)
		}
	}
}
