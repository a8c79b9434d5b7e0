package compute

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ConntrackAlarmPercent is where "the table is filling up" starts: above it, a burst of new
// connections can fill the rest before anyone reacts.
const ConntrackAlarmPercent = 80

// alarm is one alarm that every NAT instance (or pair member) has, on a metric of its own.
type alarm struct {
	suffix    string // the alarm's name after its instance's
	metric    Metric
	statistic string
	threshold float64 // the alarm fires above it (below it when below is set)
	below     bool
	periods   int    // minutes above the threshold before it fires
	missing   string // what missing data counts as; "" leaves CloudWatch's default (missing)
	action    string // an EC2 action run on ALARM (recover, reboot), besides the notification
	why       string // the description, after the instance's name
}

// capacityAlarms watch every NAT instance and pair member, active or standby: a filling
// connection table, and EC2 shaping its traffic (an allowance exceeded).
var capacityAlarms = []alarm{
	{suffix: "conntrack-table", metric: ConntrackUsedPercent, statistic: "Maximum", threshold: ConntrackAlarmPercent, periods: 1, missing: "missing",
		why: fmt.Sprintf("connection-tracking table above %d %%: new connections will soon be dropped", ConntrackAlarmPercent)},
	{suffix: "allowance-exceeded", metric: AllowanceExceeded, statistic: "Sum", threshold: 0, periods: 1, missing: "notBreaching",
		why: "EC2 dropped or delayed packets over the instance type's allowance (bandwidth, PPS, connections)"},
}

// memberAlarms bring a failed pair member back without anyone acting: the EC2 recover action
// when AWS's own system check fails (hardware, host), a reboot when the instance's check fails
// (kernel hang, exhausted memory). keepalived then makes the member standby; the NAT does not
// move back.
var memberAlarms = []alarm{
	{suffix: "system-check", metric: StatusCheckFailedSystem, statistic: "Maximum", threshold: 0, periods: 2, action: "recover",
		why: "AWS host or hardware fault: recover the member onto other hardware; the pair runs on the other member meanwhile"},
	{suffix: "instance-check", metric: StatusCheckFailedInstance, statistic: "Maximum", threshold: 0, periods: 2, action: "reboot",
		why: "member unresponsive (kernel, memory): reboot it; the pair runs on the other member meanwhile"},
}

// identityAlarmMinutes is how long a pair's identity may stay split before its alarm: the active
// member repairs it within seconds unless EC2 refuses or cannot be reached.
const identityAlarmMinutes = 3

// pairAlarms watch a pair as a whole, on what its members publish.
var pairAlarms = []alarm{
	// One notification per takeover, OK again after a minute without one.
	{suffix: "takeover", metric: Takeovers, statistic: "Sum", threshold: 0, periods: 1, missing: "notBreaching",
		why: "a member took over the NAT (the active one failed or was rolled out, or the two could not hear each other): " +
			"the dashboard shows which member is active, the members' journals (nat-pair-notify) why"},
	// Missing data breaches: no member publishing means no active member, or one that cannot
	// reach CloudWatch.
	{suffix: "identity", metric: IdentityWhole, statistic: "Minimum", threshold: 1, below: true, periods: identityAlarmMinutes, missing: "breaching",
		why: fmt.Sprintf("the NAT's identity (floating address, Elastic IP, private routes) is not whole on the active member "+
			"for %d minutes, or no member reports it: see the active member's journal (nat-pair-identity)", identityAlarmMinutes)},
}

// watched is an instance and what its alarms do besides changing state.
type watched struct {
	name       string // the instance's, which prefixes its alarms' names
	instanceID pulumi.IDOutput
	// notify is the SNS topic told of every change to ALARM and back to OK; nil tells no one
	// (the alarms still show in the console).
	notify pulumi.StringInput
	// partition and region name the EC2 actions, for alarms that have one.
	partition, region string
	// pair is the value of the pair dimension, for alarms on what a pair publishes.
	pair string
}

// NewPairAlarms registers the alarms of the pair named name as a whole, on what its members publish.
func NewPairAlarms(ctx *pulumi.Context, name string, notify pulumi.StringInput, opts ...pulumi.ResourceOption) ([]pulumi.StringOutput, error) {
	return newAlarms(ctx, watched{name: name, pair: name, notify: notify}, pairAlarms, opts...)
}

// newAlarms registers the alarms on the instance and returns their ARNs.
func newAlarms(ctx *pulumi.Context, w watched, alarms []alarm, opts ...pulumi.ResourceOption) ([]pulumi.StringOutput, error) {
	var arns []pulumi.StringOutput
	for _, a := range alarms {
		dimensions := pulumi.StringMap{}
		for _, d := range a.metric.Dimensions {
			switch {
			case d == "InstanceId" && w.instanceID != (pulumi.IDOutput{}):
				dimensions[d] = w.instanceID.ToStringOutput()
			case d == PairDimension && w.pair != "":
				dimensions[d] = pulumi.String(w.pair)
			default:
				return nil, fmt.Errorf("compute: alarm %s-%s: no value for dimension %s of %s", w.name, a.suffix, d, a.metric.Name)
			}
		}
		comparison := "GreaterThanThreshold"
		if a.below {
			comparison = "LessThanThreshold"
		}
		args := &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(w.name + ": " + a.why),
			Namespace:          pulumi.String(a.metric.Namespace),
			MetricName:         pulumi.String(a.metric.Name),
			Dimensions:         dimensions,
			Statistic:          pulumi.String(a.statistic),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(a.periods),
			Threshold:          pulumi.Float64(a.threshold),
			ComparisonOperator: pulumi.String(comparison),
		}
		if a.missing != "" {
			args.TreatMissingData = pulumi.String(a.missing)
		}
		var onAlarm pulumi.Array
		if a.action != "" {
			onAlarm = append(onAlarm, pulumi.Sprintf("arn:%s:automate:%s:ec2:%s", w.partition, w.region, a.action))
		}
		if w.notify != nil {
			onAlarm = append(onAlarm, w.notify)
			args.OkActions = pulumi.Array{w.notify}
		}
		if onAlarm != nil {
			args.AlarmActions = onAlarm
		}
		created, err := cloudwatch.NewMetricAlarm(ctx, w.name+"-"+a.suffix, args, opts...)
		if err != nil {
			return nil, fmt.Errorf("compute: alarm %s-%s: %w", w.name, a.suffix, err)
		}
		arns = append(arns, created.Arn)
	}
	return arns, nil
}
