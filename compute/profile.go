package compute

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SessionManagerProfile is an instance profile whose role lets Systems Manager reach the
// instance, so no one needs SSH from the internet to get a shell.
type SessionManagerProfile struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	// RoleName lets a caller add its own inline policy to the role.
	RoleName pulumi.StringOutput
}

// SessionManagerProfileArgs describe the role and what it may do besides Session Manager.
type SessionManagerProfileArgs struct {
	Description string
	// InlinePolicies are extra permissions of this role only: policy name -> JSON document.
	InlinePolicies map[string]string
	// PermissionsBoundary is the ARN of the role's permissions boundary; empty for none.
	PermissionsBoundary string
}

// NewSessionManagerProfile creates the role, attaches AmazonSSMManagedInstanceCore and the
// inline policies, and wraps it in an instance profile.
func NewSessionManagerProfile(ctx *pulumi.Context, name string, args *SessionManagerProfileArgs, opts ...pulumi.ResourceOption) (*SessionManagerProfile, error) {
	p := &SessionManagerProfile{}
	if err := ctx.RegisterComponentResource("nat-instance:compute:SessionManagerProfile", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)

	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("compute: instance profile: partition: %w", err)
	}
	trust, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ec2.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	if err != nil {
		return nil, err
	}
	roleArgs := &iam.RoleArgs{
		Description:      pulumi.String(args.Description),
		AssumeRolePolicy: pulumi.String(string(trust)),
	}
	if args.PermissionsBoundary != "" {
		roleArgs.PermissionsBoundary = pulumi.String(args.PermissionsBoundary)
	}
	role, err := iam.NewRole(ctx, name, roleArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("compute: instance role: %w", err)
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm-core", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.Sprintf("arn:%s:iam::aws:policy/AmazonSSMManagedInstanceCore", partition.Partition),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("compute: instance role policy: %w", err)
	}
	policies := []pulumi.Resource{attachment}
	for _, policyName := range slices.Sorted(maps.Keys(args.InlinePolicies)) {
		policy, err := iam.NewRolePolicy(ctx, name+"-"+policyName, &iam.RolePolicyArgs{
			Role:   role.Name,
			Policy: pulumi.String(args.InlinePolicies[policyName]),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("compute: instance role policy %s: %w", policyName, err)
		}
		policies = append(policies, policy)
	}
	// Wait for the policies, so the SSM agent's first registration at boot succeeds (and the
	// first metrics are accepted).
	profile, err := iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{
		Role: role.Name,
	}, parent, pulumi.DependsOn(policies))
	if err != nil {
		return nil, fmt.Errorf("compute: instance profile: %w", err)
	}
	p.Name = profile.Name
	p.RoleName = role.Name
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"name": p.Name, "roleArn": role.Arn}); err != nil {
		return nil, err
	}
	return p, nil
}
