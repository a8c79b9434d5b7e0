package network

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newFlowLogs records every flow of the VPC in a CloudWatch log group (CKV2_AWS_11), through a
// role that only the flow-logs service of accountID can assume.
func newFlowLogs(ctx *pulumi.Context, name string, vpc *ec2.Vpc, accountID string, args *VpcArgs, parent pulumi.ResourceOption) error {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.FlowLogRetentionDays),
		Tags:            nameTag(name + "-flow-logs"),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log group: %w", err)
	}
	trust, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			// Confused-deputy guard: only flow logs of this account may use the role.
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": accountID}},
		}},
	})
	if err != nil {
		return err
	}
	roleArgs := &iam.RoleArgs{
		Description:      pulumi.String("Lets VPC flow logs write to " + name + "-flow-logs"),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             nameTag(name + "-flow-logs"),
	}
	if args.PermissionsBoundary != "" {
		roleArgs.PermissionsBoundary = pulumi.String(args.PermissionsBoundary)
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", roleArgs, parent)
	if err != nil {
		return fmt.Errorf("network: flow log role: %w", err)
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		doc, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Effect": "Allow",
				"Action": []string{
					"logs:CreateLogStream", "logs:PutLogEvents",
					"logs:DescribeLogGroups", "logs:DescribeLogStreams",
				},
				"Resource": []string{arn, arn + ":*"},
			}},
		})
		return string(doc), err
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log role policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", &ec2.FlowLogArgs{
		VpcId:                  vpc.ID(),
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(60),
		Tags:                   nameTag(name + "-flow-logs"),
		// The role may write only once its policy exists; before, deliveries fail.
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
		return fmt.Errorf("network: flow log: %w", err)
	}
	return nil
}
