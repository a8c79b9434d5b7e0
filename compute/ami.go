package compute

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// WithImage returns s with an image: the one given, or the current Amazon Linux 2023
// for the instance type's architecture.
func (s InstanceSettings) WithImage(ctx *pulumi.Context) (InstanceSettings, error) {
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

// ImageError says that an image is not one the region has with the architecture an instance
// type needs: it does not exist there, or it is built for another CPU.
type ImageError struct {
	ID           string
	InstanceType string
	Architecture string // what InstanceType needs
	Err          error  // what the lookup said
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("compute: image %s is not an %s image of this region (%s is %s): %v",
		e.ID, e.Architecture, e.InstanceType, e.Architecture, e.Err)
}

func (e *ImageError) Unwrap() error { return e.Err }

// CheckImage asks AWS whether id is an image of the region that instanceType can boot, and
// returns an *ImageError when it is not.
func CheckImage(ctx *pulumi.Context, id, instanceType string) error {
	arch := Architecture(instanceType)
	if _, err := ec2.LookupAmi(ctx, &ec2.LookupAmiArgs{Filters: []ec2.GetAmiFilter{
		{Name: "image-id", Values: []string{id}},
		{Name: "architecture", Values: []string{arch}},
	}}); err != nil {
		return &ImageError{ID: id, InstanceType: instanceType, Architecture: arch, Err: err}
	}
	return nil
}

// ResolveImage returns the pinned image after checking it (an *ImageError when it does not
// suit instanceType), or else the current Amazon Linux 2023 image.
func ResolveImage(ctx *pulumi.Context, pinned, instanceType string) (Image, error) {
	if pinned == "" {
		id, err := LookupAmazonLinux(ctx, instanceType)
		return Image{ID: id}, err
	}
	if err := CheckImage(ctx, pinned, instanceType); err != nil {
		return Image{}, err
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
