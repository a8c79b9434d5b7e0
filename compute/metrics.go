package compute

import (
	_ "embed"
	"encoding/json"
	"fmt"
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
