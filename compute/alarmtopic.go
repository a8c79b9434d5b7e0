package compute

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cloudWatch is the service principal that publishes an alarm's notifications.
const cloudWatch = "cloudwatch.amazonaws.com"

// KeyTag and KeyTagValue mark the KMS keys the program makes: the deploy role may create a key
// only with this tag and manage only keys that carry it (package delivery), so that it can
// touch no other key of the account.
const (
	KeyTag      = "nat-instance:alarms"
	KeyTagValue = "topic-key"
)

// Notify says who hears a NAT's alarms, on ALARM and on OK: an existing SNS topic, a topic made
// for an e-mail address, or no one (the zero value: the alarms only show in the console).
type Notify struct {
	// TopicArn is an existing topic; its policy must let CloudWatch publish.
	TopicArn pulumi.StringInput
	// Email makes a topic with an e-mail subscription instead (NewAlarmTopic).
	Email string
	// KmsKeyId encrypts the topic made for Email; empty makes a key for it.
	KmsKeyID string
}

// AlarmTopic is an SNS topic made for alarm notifications by e-mail, encrypted with a KMS key
// that CloudWatch may use, and (once Allow has run) open to CloudWatch's publishing only.
type AlarmTopic struct {
	Topic *sns.Topic
	// Key is the key made for the topic; nil when one was given.
	Key *kms.Key

	name, partition, account string
}

// NewAlarmTopic makes the topic with its e-mail subscription (AWS mails a confirmation link
// first; nothing is delivered before it is followed). It is encrypted with kmsKeyID or, when
// that is empty, with a key of its own: CloudWatch can publish to an encrypted topic only when
// the key's policy lets cloudwatch.amazonaws.com use it, and the AWS managed key (alias/aws/sns)
// has a policy no one can change (Amazon SNS Developer Guide, "Key management": compatibility
// between event sources from AWS services and encrypted topics).
func NewAlarmTopic(ctx *pulumi.Context, name, email, kmsKeyID string, opts ...pulumi.ResourceOption) (*AlarmTopic, error) {
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("compute: alarm topic: partition: %w", err)
	}
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("compute: alarm topic: account: %w", err)
	}
	t := &AlarmTopic{name: name, partition: partition.Partition, account: caller.AccountId}
	var key pulumi.StringInput = pulumi.String(kmsKeyID)
	if kmsKeyID == "" {
		policy, err := t.keyPolicy()
		if err != nil {
			return nil, err
		}
		t.Key, err = kms.NewKey(ctx, name, &kms.KeyArgs{
			Description:          pulumi.String(name + ": encrypts the NAT alarms' SNS topic; CloudWatch may use it to publish"),
			EnableKeyRotation:    pulumi.Bool(true),
			DeletionWindowInDays: pulumi.Int(7), // KMS's shortest: the key serves this topic only
			Policy:               pulumi.String(policy),
			Tags:                 pulumi.StringMap{"Name": pulumi.String(name), KeyTag: pulumi.String(KeyTagValue)},
		}, opts...)
		if err != nil {
			return nil, fmt.Errorf("compute: alarm topic key: %w", err)
		}
		key = t.Key.Arn
	}
	t.Topic, err = sns.NewTopic(ctx, name, &sns.TopicArgs{
		DisplayName:    pulumi.String("NAT alarms"), // the sender's name on the e-mails
		KmsMasterKeyId: key,
		Tags:           pulumi.StringMap{"Name": pulumi.String(name)},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("compute: alarm topic: %w", err)
	}
	if _, err := sns.NewTopicSubscription(ctx, name, &sns.TopicSubscriptionArgs{
		Topic:    t.Topic.Arn,
		Protocol: pulumi.String("email"),
		Endpoint: pulumi.String(email),
	}, opts...); err != nil {
		return nil, fmt.Errorf("compute: alarm topic subscription: %w", err)
	}
	return t, nil
}

// keyPolicy keeps the key the account's to manage (KMS's default statement) and lets CloudWatch
// encrypt what it publishes. AWS documents no condition for CloudWatch on a key (SNS Developer
// Guide, as above), and this key encrypts nothing but the topic.
func (t *AlarmTopic) keyPolicy() (string, error) {
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Sid": "AccountManagesKey", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
				"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", t.partition, t.account)}},
			{"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Action": []string{"kms:Decrypt", "kms:GenerateDataKey*"}, "Resource": "*",
				"Principal": map[string]any{"Service": cloudWatch}},
		},
	})
	return string(policy), err
}

// Allow sets the topic's policy: CloudWatch may publish to it for these alarms of this account,
// and nothing else is granted (the account's own users act through their IAM policies).
func (t *AlarmTopic) Allow(ctx *pulumi.Context, alarmArns pulumi.StringArrayInput, opts ...pulumi.ResourceOption) error {
	document := pulumi.All(t.Topic.Arn, alarmArns).ApplyT(func(v []any) (string, error) {
		policy, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Sid":       "CloudWatchAlarmsPublish",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": cloudWatch},
				"Action":    "sns:Publish",
				"Resource":  v[0].(string),
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": t.account},
					"ArnEquals":    map[string]any{"aws:SourceArn": v[1].([]string)},
				},
			}},
		})
		return string(policy), err
	}).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(ctx, t.name, &sns.TopicPolicyArgs{
		Arn:    t.Topic.Arn,
		Policy: document,
	}, opts...); err != nil {
		return fmt.Errorf("compute: alarm topic policy: %w", err)
	}
	return nil
}
