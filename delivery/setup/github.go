package main

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/delivery"
)

// oidcProvider returns the ARN of GitHub's OIDC provider: the one given, or a new one. No
// thumbprint: AWS checks GitHub's certificate against its own trusted CAs.
func oidcProvider(ctx *pulumi.Context, existing string) (pulumi.StringOutput, error) {
	if existing != "" {
		return pulumi.String(existing).ToStringOutput(), nil
	}
	provider, err := iam.NewOpenIdConnectProvider(ctx, "github", &iam.OpenIdConnectProviderArgs{
		Url:           pulumi.String("https://" + delivery.OIDCIssuer),
		ClientIdLists: pulumi.StringArray{pulumi.String(delivery.OIDCAudience)},
	})
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("setup: GitHub OIDC provider: %w", err)
	}
	return provider.Arn, nil
}

// newBoundary creates the managed policy every role of the program must carry.
func newBoundary(ctx *pulumi.Context, scope delivery.Scope) (*iam.Policy, error) {
	doc, err := delivery.BoundaryPolicy(scope)
	if err != nil {
		return nil, err
	}
	text, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewPolicy(ctx, "boundary", &iam.PolicyArgs{
		Name:        pulumi.String(delivery.BoundaryPolicyName),
		Description: pulumi.String("Permissions boundary of the nat-instance program's roles: the most any of them may do"),
		Policy:      pulumi.String(text),
	})
	if err != nil {
		return nil, fmt.Errorf("setup: boundary policy: %w", err)
	}
	return policy, nil
}

// newRole creates a role that tokens of the repository with subject may assume.
func newRole(ctx *pulumi.Context, name, description string, provider pulumi.StringOutput, subject string) (*iam.Role, error) {
	trust := provider.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(delivery.TrustPolicy(arn, subject))
		return string(b), err
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Name:             pulumi.String(name),
		Description:      pulumi.String(description),
		AssumeRolePolicy: trust,
		// A deploy of the lab takes minutes; an hour is the default and the ceiling needed.
		MaxSessionDuration: pulumi.Int(3600),
	})
	if err != nil {
		return nil, fmt.Errorf("setup: role %s: %w", name, err)
	}
	return role, nil
}

// rolePolicy puts a policy generated for the scope on a role, once the bucket, key and boundary
// it names exist.
func rolePolicy(ctx *pulumi.Context, name string, role *iam.Role, scope pulumi.AnyOutput, build func(delivery.Scope) (delivery.Document, error)) error {
	text := scope.ApplyT(func(v any) (string, error) {
		doc, err := build(v.(delivery.Scope))
		if err != nil {
			return "", err
		}
		return doc.JSON()
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: text,
	}); err != nil {
		return fmt.Errorf("setup: role policy %s: %w", name, err)
	}
	return nil
}
