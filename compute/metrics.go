package compute

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatMetricsScript publishes the NAT's capacity metrics; a systemd timer runs it every minute.
// Tests execute these very bytes.
//
//go:embed nat-metrics.sh
var NatMetricsScript string

// The NAT's CloudWatch metrics: their namespace (the only one the NAT's role may write to),
// and the names nat-metrics.sh publishes, each with an InstanceId dimension.
const (
	MetricsNamespace = "NatInstance"
	// MetricConntrackCount is the connection-tracking table's entries (Count).
	MetricConntrackCount = "ConntrackCount"
	// MetricConntrackUsedPercent is the table's entries against its limit (Percent).
	MetricConntrackUsedPercent = "ConntrackUsedPercent"
	// MetricConntrackDrops is the packets the table refused since the last sample (Count).
	MetricConntrackDrops = "ConntrackDrops"
	// MetricAllowanceExceeded is the growth of EC2's *_allowance_exceeded counters (Count).
	MetricAllowanceExceeded = "AllowanceExceeded"
)

// Paths and heredoc markers of the metrics part of the NAT user data.
const (
	NatMetricsScriptPath = "/usr/local/sbin/nat-instance-metrics"
	natMetricsUnit       = "nat-instance-metrics"
	natMetricsMarker     = "NAT_INSTANCE_METRICS"
)

// ConntrackAlarmPercent is where "the table is filling up" starts: above it, a burst of new
// connections can fill the rest before anyone reacts.
const ConntrackAlarmPercent = 80

// NatMetricsUserData renders the part of the NAT's user data that installs the metrics script
// and its timer: every minute, from a minute after boot.
func NatMetricsUserData() string {
	return fmt.Sprintf(`
install -d -m 0755 "$(dirname %[1]s)"
cat >%[1]s <<'%[2]s'
%[3]s%[2]s
chmod 0755 %[1]s

cat >/etc/systemd/system/%[4]s.service <<'%[2]s'
[Unit]
Description=NAT instance: publish connection tracking and EC2 allowance metrics to CloudWatch
After=network-online.target %[5]s

[Service]
Type=oneshot
RuntimeDirectory=%[4]s
RuntimeDirectoryPreserve=yes
ExecStart=%[1]s %[6]s
%[2]s

cat >/etc/systemd/system/%[4]s.timer <<'%[2]s'
[Unit]
Description=NAT instance: publish capacity metrics every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
%[2]s

systemctl daemon-reload
systemctl enable --now %[4]s.timer
`, NatMetricsScriptPath, natMetricsMarker, NatMetricsScript, natMetricsUnit, NatUnitName, MetricsNamespace)
}

// PutNatMetricsPolicy lets an instance publish metrics to the NAT's namespace only.
func PutNatMetricsPolicy() (string, error) {
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Action":    "cloudwatch:PutMetricData",
			"Resource":  "*", // PutMetricData has no resource type; the condition scopes it
			"Condition": map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": MetricsNamespace}},
		}},
	})
	return string(policy), err
}

// natAlarms raises an alarm when the NAT's table is above ConntrackAlarmPercent, and when EC2
// shaped its traffic (an allowance was exceeded), each for one minute. They notify no one by
// themselves: they show in the console, and an SNS topic can be added as an action.
func natAlarms(ctx *pulumi.Context, name string, instanceID pulumi.IDOutput, opts ...pulumi.ResourceOption) error {
	dimensions := pulumi.StringMap{"InstanceId": instanceID.ToStringOutput()}
	for _, a := range []struct {
		suffix, metric, statistic, description, missing string
		threshold                                       float64
	}{
		{"conntrack-table", MetricConntrackUsedPercent, "Maximum",
			fmt.Sprintf("%s: connection-tracking table above %d %%: new connections will soon be dropped", name, ConntrackAlarmPercent),
			"missing", ConntrackAlarmPercent},
		{"allowance-exceeded", MetricAllowanceExceeded, "Sum",
			name + ": EC2 dropped or delayed packets over the instance type's allowance (bandwidth, PPS, connections)",
			"notBreaching", 0},
	} {
		if _, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+a.suffix, &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(MetricsNamespace),
			MetricName:         pulumi.String(a.metric),
			Dimensions:         dimensions,
			Statistic:          pulumi.String(a.statistic),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(a.threshold),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String(a.missing),
		}, opts...); err != nil {
			return fmt.Errorf("compute: alarm %s-%s: %w", name, a.suffix, err)
		}
	}
	return nil
}
