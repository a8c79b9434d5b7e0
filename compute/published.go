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

// perPair is the dimension of what a pair's active member publishes for the pair as a whole:
// the pair's name, the same whichever member is active.
var perPair = []string{PairDimension}

// perMember is the dimension of what a pair member publishes of its own part in the pair.
var perMember = []string{PairDimension, MemberDimension}

// The dimensions of a pair's metrics: the pair's name, and a member's (its instance's name).
const (
	PairDimension   = "NatPair"
	MemberDimension = "Member"
)

// What a pair's members publish:
var (
	// IdentityWhole, from the active member (pair/nat-pair-identity.sh): 1 when it found the
	// floating address, the Elastic IP and every route its own, 0 otherwise.
	IdentityWhole = Metric{MetricsNamespace, "IdentityWhole", perPair}
	// Takeovers, from a member as it becomes active (pair/nat-pair-notify.sh): 1 each time.
	Takeovers = Metric{MetricsNamespace, "Takeovers", perPair}
	// ActiveMember, from a member at each of its transitions (pair/nat-pair-notify.sh): 1 as it
	// becomes active, 0 as it becomes standby or fails.
	ActiveMember = Metric{MetricsNamespace, "ActiveMember", perMember}
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

// ScriptMetrics are the metrics nat-metrics.sh publishes, PairMetrics those of a pair's members,
// EC2Metrics those of EC2 that the stack uses: together, every metric an alarm or the dashboard
// may name.
var (
	ScriptMetrics = []Metric{ConntrackCount, ConntrackUsedPercent, ConntrackDrops, AllowanceExceeded}
	PairMetrics   = []Metric{IdentityWhole, Takeovers, ActiveMember}
	EC2Metrics    = []Metric{NetworkIn, NetworkOut, NetworkPacketsIn, NetworkPacketsOut,
		StatusCheckFailed, StatusCheckFailedSystem, StatusCheckFailedInstance}
)
