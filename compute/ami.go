package compute

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/settings"
)

// Architecture tells which CPU an instance type has: Graviton families carry a "g" after
// their generation digit (t4g, c7gn, x2gd, im4gn), plus the first Graviton, a1.
func Architecture(instanceType string) string {
	family, _, _ := strings.Cut(instanceType, ".")
	if family == "a1" {
		return "arm64"
	}
	if i := strings.IndexAny(family, "0123456789"); i >= 0 && strings.Contains(family[i+1:], "g") {
		return "arm64"
	}
	return "x86_64"
}

// AmazonLinuxParameter is the public SSM parameter that always names the latest Amazon Linux
// 2023 AMI for an architecture.
func AmazonLinuxParameter(arch string) string {
	return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
}

// withImage returns the settings with an image: the one given, or the current Amazon Linux 2023
// for the instance type's architecture.
func (s InstanceSettings) withImage(ctx *pulumi.Context) (InstanceSettings, error) {
	if s.AmiID != nil {
		return s, nil
	}
	ami, err := LookupAmazonLinux(ctx, s.InstanceType)
	s.AmiID = pulumi.String(ami)
	return s, err
}

// LookupAmazonLinux returns the current Amazon Linux 2023 AMI id for instanceType's
// architecture.
func LookupAmazonLinux(ctx *pulumi.Context, instanceType string) (string, error) {
	name := AmazonLinuxParameter(Architecture(instanceType))
	param, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: name})
	if err != nil {
		return "", fmt.Errorf("compute: AMI for %s from SSM parameter %s: %w", instanceType, name, err)
	}
	return param.Value, nil
}

// Image is the AMI an instance group runs.
type Image struct {
	ID string
	// Pinned is true when the stack names the image: a change of it is a deliberate new
	// image. Otherwise an instance keeps the image it was created with (see Options).
	Pinned bool
}

// ResolveImage returns the pinned image after checking that it exists in the region with
// instanceType's architecture, or else the current Amazon Linux 2023 image. key names the
// config key that pins it, for messages.
func ResolveImage(ctx *pulumi.Context, key, pinned, instanceType string) (Image, error) {
	if pinned == "" {
		id, err := LookupAmazonLinux(ctx, instanceType)
		return Image{ID: id}, err
	}
	arch := Architecture(instanceType)
	if _, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{
		Filters: []ec2.GetAmiFilter{
			{Name: "image-id", Values: []string{pinned}},
			{Name: "architecture", Values: []string{arch}},
		},
	}); err != nil {
		return Image{}, settings.Problems{{Key: key, Value: pinned,
			Want: fmt.Sprintf("must be an %s image of this region (%s is %s): %v", arch, instanceType, arch, err)}}
	}
	return Image{ID: pinned, Pinned: true}, nil
}

// Options returns the resource options the image calls for. An image that is not pinned is
// kept once an instance runs it, so that a new Amazon Linux release replaces nothing; a
// pinned one is compared like any input, and its change replaces the instance.
func (img Image) Options() []pulumi.ResourceOption {
	if img.Pinned {
		return nil
	}
	return []pulumi.ResourceOption{pulumi.IgnoreChanges([]string{"ami"})}
}

// RunningImage returns the image the instances run, after checking that it suits
// instanceType. An image that is not pinned is kept from the instances' creation, so a new
// instance type of another architecture would meet an image it cannot boot: AWS would stop the
// instance and refuse the type. The check fails the preview instead, naming the key to set.
// amis are the instances' images as the state records them (the first is returned).
func (img Image) RunningImage(ctx *pulumi.Context, key, instanceType string, amis []pulumi.StringOutput) pulumi.StringOutput {
	if len(amis) == 0 {
		return pulumi.String(img.ID).ToStringOutput()
	}
	all := make([]any, len(amis))
	for i, ami := range amis {
		all[i] = ami
	}
	return pulumi.All(all...).ApplyT(func(ids []any) (string, error) {
		arch := Architecture(instanceType)
		for _, v := range ids {
			id, _ := v.(string)
			if id == img.ID {
				continue // the image just resolved for this type
			}
			if _, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{Filters: []ec2.GetAmiFilter{
				{Name: "image-id", Values: []string{id}},
				{Name: "architecture", Values: []string{arch}},
			}}); err != nil {
				return "", fmt.Errorf("%s:%s is unset, so the instances keep their image %s, which is not %s as %s needs: "+
					"pin an %s image first (pulumi config set %s <ami-id>, see docs/updating.md): %w",
					settings.Namespace, key, id, arch, instanceType, arch, key, err)
			}
		}
		id, _ := ids[0].(string)
		return id, nil
	}).(pulumi.StringOutput)
}
