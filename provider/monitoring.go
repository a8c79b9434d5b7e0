package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"nat-instance/compute"
	"nat-instance/settings"
)

// Descriptions of the inputs and outputs that say who hears a component's alarms and where its
// dashboard is, the same for both components.
const (
	alarmTopicArnDescription = "ARN of an existing SNS topic, in the stack's region, that every alarm of the component " +
		"notifies on ALARM and on OK. Its policy must let cloudwatch.amazonaws.com publish (and, if it is encrypted, its " +
		"KMS key must let CloudWatch use it). Set either this or alarmEmail; neither: the alarms notify no one."
	alarmEmailDescription = "E-mail address told of every alarm change: the component makes an SNS topic with this " +
		"subscription, encrypted, whose policy lets CloudWatch publish for the component's alarms and nothing else. AWS " +
		"first mails a confirmation link; nothing is delivered until it is followed. Set either this or alarmTopicArn."
	alarmTopicKmsKeyIDDescription = "With alarmEmail: the customer managed KMS key (id, alias, or ARN in the stack's " +
		"region) that encrypts the topic; its policy must allow cloudwatch.amazonaws.com kms:Decrypt and " +
		"kms:GenerateDataKey*. The AWS managed key alias/aws/sns is refused: CloudWatch cannot use it. Unset: the " +
		"component makes a key for the topic."
	dashboardDescription = "Make a CloudWatch dashboard of this NAT: connection-table use and drops, EC2 allowances " +
		"exceeded, status checks, packets and bytes through each instance, and the alarms' states. CloudWatch charges " +
		"$3 a month per dashboard beyond the free tier's 3."
	alarmArnsDescription    = "ARNs of the component's CloudWatch alarms."
	dashboardURLDescription = "Console URL of the component's dashboard; empty when dashboard is off (or the partition " +
		"has no public console)."
)

// describeMonitoring describes a component's inputs about its alarms and dashboard.
func describeMonitoring(an infer.Annotator, topicArn *pulumi.StringInput, email, kmsKeyID *string, dashboard *bool) {
	an.Describe(topicArn, alarmTopicArnDescription)
	an.Describe(email, alarmEmailDescription)
	an.Describe(kmsKeyID, alarmTopicKmsKeyIDDescription)
	an.Describe(dashboard, dashboardDescription)
}

// monitoringInputs are a component's inputs about its alarms and dashboard.
type monitoringInputs struct {
	topicArn        pulumi.StringInput
	email, kmsKeyID string
	dashboard       bool
}

// check reports bad monitoring inputs like the stack configuration's (settings), the ARNs
// against the stack's partition and region; a topic ARN still unknown (a preview) is checked
// in the update.
func (m monitoringInputs) check(ctx *pulumi.Context, p *problems) error {
	if m.topicArn != nil && m.email != "" {
		p.bad("alarmEmail", m.email, "set either alarmTopicArn (an existing topic) or alarmEmail (a topic made for that address), not both")
	}
	if want := settings.CheckAlarmEmail(m.email); want != "" {
		p.bad("alarmEmail", m.email, want)
	}
	if m.kmsKeyID != "" && m.email == "" {
		p.bad("alarmTopicKmsKeyId", m.kmsKeyID, "encrypts the topic made for alarmEmail, which is not set; leave it unset")
	}
	topicArn := ""
	if m.topicArn != nil {
		result, err := internals.UnsafeAwaitOutput(ctx.Context(), m.topicArn.ToStringOutput())
		if err != nil {
			return fmt.Errorf("alarmTopicArn: %w", err)
		}
		topicArn, _ = result.Value.(string)
	}
	if topicArn == "" && m.kmsKeyID == "" {
		return nil
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("region: %w", err)
	}
	if want := settings.CheckAlarmTopicArn(topicArn, partition.Partition, region.Name); want != "" {
		p.bad("alarmTopicArn", topicArn, want)
	}
	if want := settings.CheckAlarmTopicKmsKey(m.kmsKeyID, partition.Partition, region.Name); want != "" {
		p.bad("alarmTopicKmsKeyId", m.kmsKeyID, want)
	}
	return nil
}

// args is what the compute component takes.
func (m monitoringInputs) args() compute.MonitoringArgs {
	return compute.MonitoringArgs{
		Notify:    compute.Notify{TopicArn: m.topicArn, Email: m.email, KmsKeyID: m.kmsKeyID},
		Dashboard: m.dashboard,
	}
}
