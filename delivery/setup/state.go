package main

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/delivery"
)

// keyAlias names the state key in the stacks' secrets provider URL (awskms://alias/…).
const keyAlias = "alias/nat-instance-state"

// keyAdministration is what the account (its administrators, through IAM) may do with the key:
// manage it, not use it. Encrypting and decrypting is for the principals the policy names.
var keyAdministration = []string{
	"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
	"kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand", "kms:ListKeyRotations",
	"kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription", "kms:ListResourceTags",
	"kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
	"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
}

// keyPolicy lets the account administer the key and names who may use it: the deploy role
// (reads and writes state, decrypts secrets), the preview role (reads and decrypts) and the key
// users (who create stacks and set secrets).
func keyPolicy(partition, account string, deployRole, previewRole string, keyUsers []string) (string, error) {
	statements := []delivery.Statement{
		{Sid: "KeyAdministration", Effect: "Allow", Principal: map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
			Action: keyAdministration, Resource: []string{"*"}},
		{Sid: "DeployRole", Effect: "Allow", Principal: map[string]any{"AWS": deployRole},
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: []string{"*"}},
		{Sid: "PreviewRole", Effect: "Allow", Principal: map[string]any{"AWS": previewRole},
			Action: []string{"kms:Decrypt"}, Resource: []string{"*"}},
	}
	if len(keyUsers) > 0 {
		statements = append(statements, delivery.Statement{Sid: "KeyUsers", Effect: "Allow", Principal: map[string]any{"AWS": keyUsers},
			Action: []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}, Resource: []string{"*"}})
	}
	b, err := json.Marshal(delivery.Document{Version: "2012-10-17", Statement: statements})
	return string(b), err
}

// state is the state bucket and its key.
type state struct {
	key    *kms.Key
	bucket *s3.BucketV2
}

// newState creates the KMS key (rotated yearly, its policy from keyPolicy) and the bucket:
// versioned, never public, objects owned by the bucket owner, encrypted with the key by
// default, reachable over TLS only.
func newState(ctx *pulumi.Context, bucketName string, policy pulumi.StringInput) (*state, error) {
	key, err := kms.NewKey(ctx, "nat-instance-state", &kms.KeyArgs{
		Description:          pulumi.String("nat-instance: Pulumi state objects and stack secrets"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Policy:               policy,
	})
	if err != nil {
		return nil, fmt.Errorf("setup: state key: %w", err)
	}
	if _, err := kms.NewAlias(ctx, "nat-instance-state", &kms.AliasArgs{
		Name:        pulumi.String(keyAlias),
		TargetKeyId: key.ID(),
	}); err != nil {
		return nil, fmt.Errorf("setup: state key alias: %w", err)
	}
	bucket, err := s3.NewBucketV2(ctx, "nat-instance-state", &s3.BucketV2Args{
		Bucket: pulumi.String(bucketName),
	}, pulumi.Protect(true)) // the state of every stack: never deleted by a `pulumi destroy` here
	if err != nil {
		return nil, fmt.Errorf("setup: state bucket: %w", err)
	}
	id := bucket.ID()
	if _, err := s3.NewBucketPublicAccessBlock(ctx, "nat-instance-state", &s3.BucketPublicAccessBlockArgs{
		Bucket: id, BlockPublicAcls: pulumi.Bool(true), IgnorePublicAcls: pulumi.Bool(true),
		BlockPublicPolicy: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}); err != nil {
		return nil, fmt.Errorf("setup: state bucket public access block: %w", err)
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, "nat-instance-state", &s3.BucketOwnershipControlsArgs{
		Bucket: id,
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}); err != nil {
		return nil, fmt.Errorf("setup: state bucket ownership: %w", err)
	}
	// Every state change can be rolled back to an earlier version.
	if _, err := s3.NewBucketVersioningV2(ctx, "nat-instance-state", &s3.BucketVersioningV2Args{
		Bucket:                  id,
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}); err != nil {
		return nil, fmt.Errorf("setup: state bucket versioning: %w", err)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, "nat-instance-state", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: id,
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: key.Arn,
			},
			// One data key per bucket instead of a KMS call per object.
			BucketKeyEnabled: pulumi.Bool(true),
		}},
	}); err != nil {
		return nil, fmt.Errorf("setup: state bucket encryption: %w", err)
	}
	tlsOnly := bucket.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(delivery.Document{Version: "2012-10-17", Statement: []delivery.Statement{{
			Sid: "TLSOnly", Effect: "Deny", Principal: map[string]any{"AWS": "*"},
			Action:    []string{"s3:*"},
			Resource:  []string{arn, arn + "/*"},
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		}}})
		return string(b), err
	}).(pulumi.StringOutput)
	if _, err := s3.NewBucketPolicy(ctx, "nat-instance-state", &s3.BucketPolicyArgs{Bucket: id, Policy: tlsOnly}); err != nil {
		return nil, fmt.Errorf("setup: state bucket policy: %w", err)
	}
	return &state{key: key, bucket: bucket}, nil
}
