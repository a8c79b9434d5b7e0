package compute

import (
	_ "embed"
	"encoding/json"

	"nat-instance/userdata"
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

// Where the metrics part of the NAT user data writes the script and its units.
const (
	NatMetricsScriptPath = "/usr/local/sbin/nat-instance-metrics"
	natMetricsUnit       = "nat-instance-metrics"
	natMetricsMarker     = "NAT_INSTANCE_METRICS"
)

// NatMetricsSteps install the metrics script and its timer: every minute, from a minute after
// boot.
func NatMetricsSteps() []userdata.Step {
	file := func(path, mode, content string) userdata.Step {
		return userdata.Step{File: &userdata.File{Path: path, Mode: mode, Content: content, Marker: natMetricsMarker}}
	}
	return []userdata.Step{
		file(NatMetricsScriptPath, "0755", NatMetricsScript),
		file("/etc/systemd/system/"+natMetricsUnit+".service", "", `[Unit]
Description=NAT instance: publish connection tracking and EC2 allowance metrics to CloudWatch
After=network-online.target `+NatUnitName+`

[Service]
Type=oneshot
RuntimeDirectory=`+natMetricsUnit+`
RuntimeDirectoryPreserve=yes
ExecStart=`+NatMetricsScriptPath+" "+MetricsNamespace+`
`),
		file("/etc/systemd/system/"+natMetricsUnit+".timer", "", `[Unit]
Description=NAT instance: publish capacity metrics every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=5s

[Install]
WantedBy=timers.target
`),
		{Run: "systemctl daemon-reload\nsystemctl enable --now " + natMetricsUnit + ".timer"},
	}
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
