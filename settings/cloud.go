package settings

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CheckKeyPair asks AWS whether the key pair exists, so that a wrong name fails before the
// first resource instead of at RunInstances, after the VPC and the NAT's address exist.
func CheckKeyPair(ctx *pulumi.Context, s Settings, region string) error {
	if s.KeyName == "" {
		return nil
	}
	if _, err := ec2.LookupKeyPair(ctx, &ec2.LookupKeyPairArgs{KeyName: pulumi.StringRef(s.KeyName)}); err != nil {
		return Problems{{Key: KeyKeyName, Value: s.KeyName,
			Want: "no EC2 key pair of this name in " + region + " (create or import it there, or unset keyName for Session Manager only): " + err.Error()}}
	}
	return nil
}
