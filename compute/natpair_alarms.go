package compute

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newMemberAlarms brings a failed member back without anyone acting: the EC2 recover action when
// AWS's own system check fails (hardware, host), a reboot when the instance's check fails
// (kernel hang, exhausted memory). keepalived then makes the member standby; the NAT does not move back.
func newMemberAlarms(ctx *pulumi.Context, member, partition, region string, instance *ec2.Instance, parent pulumi.ResourceOption) error {
	for _, a := range []struct{ suffix, metric, action, why string }{
		{"system-check", "StatusCheckFailed_System", "recover", "AWS host or hardware fault: recover the member onto other hardware"},
		{"instance-check", "StatusCheckFailed_Instance", "reboot", "member unresponsive (kernel, memory): reboot it"},
	} {
		if _, err := cloudwatch.NewMetricAlarm(ctx, member+"-"+a.suffix, &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(member + ": " + a.why + "; the pair runs on the other member meanwhile"),
			Namespace:          pulumi.String("AWS/EC2"),
			MetricName:         pulumi.String(a.metric),
			Dimensions:         pulumi.StringMap{"InstanceId": instance.ID()},
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(2),
			Threshold:          pulumi.Float64(0),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			AlarmActions:       pulumi.Array{pulumi.Sprintf("arn:%s:automate:%s:ec2:%s", partition, region, a.action)},
		}, parent); err != nil {
			return fmt.Errorf("compute: NAT pair alarm %s-%s: %w", member, a.suffix, err)
		}
	}
	return nil
}

// The metric of a pair's identity (pair/nat-pair-identity.sh): 1 when the active member found
// the floating address, the Elastic IP and every route its own, 0 otherwise, published in
// MetricsNamespace with the pair's name as dimension.
const (
	MetricIdentityWhole = "IdentityWhole"
	PairDimension       = "NatPair"
	// identityAlarmMinutes is how long the identity may stay split before the alarm: the active
	// member repairs it within seconds unless EC2 refuses or cannot be reached.
	identityAlarmMinutes = 3
)

// newIdentityAlarm raises an alarm when the pair's identity was not whole in each of
// identityAlarmMinutes minutes, or when no member published at all (no active member, or one
// that cannot reach CloudWatch): a split or stuck identity.
func newIdentityAlarm(ctx *pulumi.Context, name string, parent pulumi.ResourceOption) error {
	_, err := cloudwatch.NewMetricAlarm(ctx, name+"-identity", &cloudwatch.MetricAlarmArgs{
		AlarmDescription: pulumi.Sprintf("%s: the NAT's identity (floating address, Elastic IP, private routes) is not whole on the active member "+
			"for %d minutes, or no member reports it: see the active member's journal (nat-pair-identity)", name, identityAlarmMinutes),
		Namespace:          pulumi.String(MetricsNamespace),
		MetricName:         pulumi.String(MetricIdentityWhole),
		Dimensions:         pulumi.StringMap{PairDimension: pulumi.String(name)},
		Statistic:          pulumi.String("Minimum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(identityAlarmMinutes),
		DatapointsToAlarm:  pulumi.Int(identityAlarmMinutes),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("LessThanThreshold"),
		TreatMissingData:   pulumi.String("breaching"),
	}, parent)
	if err != nil {
		return fmt.Errorf("compute: NAT pair identity alarm %s: %w", name, err)
	}
	return nil
}
