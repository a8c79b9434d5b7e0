package compute

import (
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// burstable matches the T families (t2, t3, t3a, t4g), not trn1 and the like.
var burstable = regexp.MustCompile(`^t[0-9][a-z]*\.`)

// InstanceSettings is what every instance of the lab shares.
type InstanceSettings struct {
	InstanceType string
	AmiID        pulumi.StringInput
	// AmiPinned tells whether AmiID is pinned by the stack (see Image.Options).
	AmiPinned bool
	// InstanceProfileName grants Session Manager access (see NewSessionManagerProfile).
	InstanceProfileName pulumi.StringInput
	// KeyName is an existing EC2 key pair for SSH; empty for none.
	KeyName string
}

// HardenedInstanceArgs returns an instance that requires IMDSv2 (CKV_AWS_79), with an encrypted
// gp3 root volume (CKV_AWS_8) and an instance profile (CKV2_AWS_41). Callers add the network.
func HardenedInstanceArgs(s InstanceSettings, name string) *ec2.InstanceArgs {
	args := &ec2.InstanceArgs{
		Ami:                s.AmiID,
		InstanceType:       pulumi.String(s.InstanceType),
		IamInstanceProfile: s.InstanceProfileName,
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
			// One hop: the instance itself, not a container or a forwarded packet, reaches IMDS.
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			VolumeType:          pulumi.String("gp3"),
			Encrypted:           pulumi.Bool(true),
			DeleteOnTermination: pulumi.Bool(true),
		},
		Tags:       pulumi.StringMap{"Name": pulumi.String(name)},
		VolumeTags: pulumi.StringMap{"Name": pulumi.String(name)},
	}
	if s.KeyName != "" {
		args.KeyName = pulumi.String(s.KeyName)
	}
	// Burstable types default to "unlimited" credits on t3/t4g, which bills surplus CPU; a lab
	// and a small NAT should never cost more than the price list says.
	if burstable.MatchString(s.InstanceType) {
		args.CreditSpecification = &ec2.InstanceCreditSpecificationArgs{CpuCredits: pulumi.String("standard")}
	}
	return args
}

// InstanceOptions are the options every instance of the lab takes, after extra.
func (s InstanceSettings) InstanceOptions(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append(extra, Image{Pinned: s.AmiPinned}.Options()...)
}
