package compute

// Metric is one CloudWatch metric of a NAT: where it is published and by which dimensions. The
// alarms and the dashboard take every metric they name from the lists below, so that neither can
// name one that nothing publishes.
type Metric struct {
	Namespace string
	Name      string
	// Dimensions are the names of the dimensions it is published with, in order.
	Dimensions []string
}

// EC2Namespace is where EC2 publishes every instance's own metrics.
const EC2Namespace = "AWS/EC2"

// perInstance is the dimension of every metric below: the instance that publishes it, or that
// EC2 publishes it for.
var perInstance = []string{"InstanceId"}

// What nat-metrics.sh publishes (see the constants in metrics.go).
var (
	ConntrackCount       = Metric{MetricsNamespace, MetricConntrackCount, perInstance}
	ConntrackUsedPercent = Metric{MetricsNamespace, MetricConntrackUsedPercent, perInstance}
	ConntrackDrops       = Metric{MetricsNamespace, MetricConntrackDrops, perInstance}
	AllowanceExceeded    = Metric{MetricsNamespace, MetricAllowanceExceeded, perInstance}
)

// What EC2 publishes for every instance without detailed monitoring (EC2 User Guide, "Instance
// metrics" and "Status check metrics"): network totals every 5 minutes, status checks every minute.
var (
	NetworkIn                 = Metric{EC2Namespace, "NetworkIn", perInstance}         // bytes received
	NetworkOut                = Metric{EC2Namespace, "NetworkOut", perInstance}        // bytes sent
	NetworkPacketsIn          = Metric{EC2Namespace, "NetworkPacketsIn", perInstance}  // packets received
	NetworkPacketsOut         = Metric{EC2Namespace, "NetworkPacketsOut", perInstance} // packets sent
	StatusCheckFailed         = Metric{EC2Namespace, "StatusCheckFailed", perInstance} // either check below
	StatusCheckFailedSystem   = Metric{EC2Namespace, "StatusCheckFailed_System", perInstance}
	StatusCheckFailedInstance = Metric{EC2Namespace, "StatusCheckFailed_Instance", perInstance}
)

// ScriptMetrics are the metrics nat-metrics.sh publishes, EC2Metrics those of EC2 that the stack
// uses: together, every metric an alarm or the dashboard may name.
var (
	ScriptMetrics = []Metric{ConntrackCount, ConntrackUsedPercent, ConntrackDrops, AllowanceExceeded}
	EC2Metrics    = []Metric{NetworkIn, NetworkOut, NetworkPacketsIn, NetworkPacketsOut,
		StatusCheckFailed, StatusCheckFailedSystem, StatusCheckFailedInstance}
)
