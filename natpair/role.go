package natpair

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
)

// IdentityReadActions are the read-only calls of the active member's identity check
// (pair/nat-pair-identity.sh): where the floating address, the Elastic IP and the routes are.
var IdentityReadActions = []string{"ec2:DescribeAddresses", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables"}

// newPairRole gives the pair its Session Manager role plus an inline policy that allows exactly
// the three calls of a takeover, on this pair's resources only, and the three read-only calls
// with which the active member checks that the identity is its own. The three takeover actions
// support resource-level permissions (Service Authorization Reference, Amazon EC2), so no tag
// condition is needed; the Describe actions list no resource type there, so they take only
// "*" (same reference: "If there is no value for this column, you must specify all resources").
func newPairRole(ctx *pulumi.Context, name, boundary string, floating *ec2.Eip, members []*member, routes []Route, parent pulumi.ResourceOption) (*compute.SessionManagerProfile, *iam.RolePolicy, error) {
	putMetrics, err := compute.PutNatMetricsPolicy()
	if err != nil {
		return nil, nil, err
	}
	profile, err := compute.NewSessionManagerProfile(ctx, name+"-pair", &compute.SessionManagerProfileArgs{
		Description:         "Session Manager access to a NAT pair's members, their CloudWatch metrics, and the calls that move the pair's identity",
		InlinePolicies:      map[string]string{"put-metrics": putMetrics},
		PermissionsBoundary: boundary,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	enis := pulumi.StringArray{}
	for _, m := range members {
		enis = append(enis, m.eni.Arn)
	}
	tables := pulumi.StringArray{}
	for _, r := range routes {
		tables = append(tables, r.RouteTableArn)
	}
	document := pulumi.All(enis, floating.Arn, tables).ApplyT(func(v []any) (string, error) {
		eniArns, eipArn, tableArns := v[0].([]string), v[1].(string), v[2].([]string)
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{
				{"Sid": "ClaimFloatingAddress", "Effect": "Allow", "Action": "ec2:AssignPrivateIpAddresses", "Resource": eniArns},
				{"Sid": "MoveElasticIp", "Effect": "Allow", "Action": "ec2:AssociateAddress", "Resource": append([]string{eipArn}, eniArns...)},
				{"Sid": "MoveDefaultRoutes", "Effect": "Allow", "Action": "ec2:ReplaceRoute", "Resource": tableArns},
				{"Sid": "CheckIdentity", "Effect": "Allow", "Action": IdentityReadActions, "Resource": "*"},
			},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	policy, err := iam.NewRolePolicy(ctx, name+"-pair", &iam.RolePolicyArgs{
		Role:   profile.RoleName,
		Policy: document,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("natpair: role policy: %w", err)
	}
	return profile, policy, nil
}
