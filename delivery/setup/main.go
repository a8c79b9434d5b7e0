// The one-time AWS set-up of the nat-instance delivery workflow, as a Pulumi program of its own
// with its state on the administrator's machine: `pulumi up` here replaces the manual steps.
// The policies come from package delivery, which the tests check against the program's graphs.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/delivery"
)

func main() {
	pulumi.Run(program)
}

// program creates, in order: the OIDC provider (unless given), the boundary, the two roles, the
// key (whose policy names the roles, so they exist first) and the bucket, then the roles'
// policies (which name the bucket, the key and the boundary).
func program(ctx *pulumi.Context) error {
	s, err := loadSettings(ctx)
	if err != nil {
		return err
	}
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("setup: account: %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return fmt.Errorf("setup: partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("setup: region: %w", err)
	}
	if err := checkAlarmTopics(ctx, s.AlarmTopicArns, partition.Partition, region.Name); err != nil {
		return err
	}
	bucketName := s.StateBucket
	if bucketName == "" {
		bucketName = fmt.Sprintf("nat-instance-state-%s-%s", caller.AccountId, region.Name)
	}
	scope := delivery.Scope{
		Partition: partition.Partition, Region: region.Name, Account: caller.AccountId,
		StateBucket: bucketName, DeployRole: delivery.DeployRoleName, PreviewRole: delivery.PreviewRoleName,
		AlarmTopicArns: s.AlarmTopicArns,
	}

	provider, err := oidcProvider(ctx, s.OIDCProviderArn)
	if err != nil {
		return err
	}
	boundary, err := newBoundary(ctx, scope)
	if err != nil {
		return err
	}
	preview, err := newRole(ctx, delivery.PreviewRoleName, "nat-instance previews of pull requests: reads the state and the data sources", provider, delivery.PreviewSubject(s.Repository))
	if err != nil {
		return err
	}
	deploy, err := newRole(ctx, delivery.DeployRoleName, "nat-instance deploys from the "+delivery.DeployEnvironment+" environment", provider, delivery.DeploySubject(s.Repository))
	if err != nil {
		return err
	}
	policy := pulumi.All(deploy.Arn, preview.Arn).ApplyT(func(arns []any) (string, error) {
		return keyPolicy(partition.Partition, caller.AccountId, arns[0].(string), arns[1].(string), s.KeyUsers)
	}).(pulumi.StringOutput)
	st, err := newState(ctx, bucketName, policy)
	if err != nil {
		return err
	}
	full := pulumi.All(st.key.Arn, boundary.Arn).ApplyT(func(v []any) delivery.Scope {
		complete := scope
		complete.KeyArn, complete.BoundaryArn = v[0].(string), v[1].(string)
		return complete
	}).(pulumi.AnyOutput)
	if err := rolePolicy(ctx, delivery.PreviewRoleName, preview, full, delivery.PreviewPolicy); err != nil {
		return err
	}
	if err := rolePolicy(ctx, delivery.DeployRoleName, deploy, full, delivery.DeployPolicy); err != nil {
		return err
	}

	// What the workflow's repository variables and the deployed stacks' config need.
	backend := fmt.Sprintf("s3://%s?region=%s", bucketName, region.Name)
	secrets := fmt.Sprintf("awskms://%s?region=%s", keyAlias, region.Name)
	ctx.Export("boundaryPolicyArn", boundary.Arn)
	ctx.Export("oidcProviderArn", provider)
	ctx.Export("stateBackendUrl", pulumi.String(backend))
	ctx.Export("secretsProvider", pulumi.String(secrets))
	ctx.Export("repositoryVariables", pulumi.Map{
		delivery.PreviewRoleVariable: preview.Arn,
		delivery.DeployRoleVariable:  deploy.Arn,
		"AWS_REGION":                 pulumi.String(region.Name),
		"PULUMI_BACKEND_URL":         pulumi.String(backend),
		"PULUMI_SECRETS_PROVIDER":    pulumi.String(secrets),
	})
	return nil
}
