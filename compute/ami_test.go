package compute

import (
	"errors"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/mockgraph"
)

func TestArchitecture(t *testing.T) {
	for instanceType, want := range map[string]string{
		"t4g.nano": "arm64", "t4g.micro": "arm64", "c7gn.large": "arm64", "m6gd.xlarge": "arm64",
		"x2gd.medium": "arm64", "im4gn.large": "arm64", "is4gen.medium": "arm64", "g5g.xlarge": "arm64",
		"hpc7g.4xlarge": "arm64", "a1.medium": "arm64", "r8g.large": "arm64",
		"t3.micro": "x86_64", "t3a.nano": "x86_64", "t2.micro": "x86_64", "m7i-flex.large": "x86_64",
		"g4ad.xlarge": "x86_64", "g4dn.xlarge": "x86_64", "c5n.large": "x86_64", "inf2.xlarge": "x86_64",
	} {
		if got := Architecture(instanceType); got != want {
			t.Errorf("Architecture(%q) = %s, want %s", instanceType, got, want)
		}
	}
}

func TestOnlyBurstableTypesGetCreditSettings(t *testing.T) {
	for instanceType, want := range map[string]bool{
		"t4g.nano": true, "t3.micro": true, "t3a.small": true, "t2.micro": true,
		"trn1.2xlarge": false, "m7g.large": false, "c6gn.medium": false,
	} {
		if got := HardenedInstanceArgs(InstanceSettings{InstanceType: instanceType}, "x").CreditSpecification != nil; got != want {
			t.Errorf("%s: credit specification set = %v, want %v", instanceType, got, want)
		}
	}
}

// A pinned image that does not suit the instance type comes back as an *ImageError carrying
// what the caller needs to say which input was wrong; one that suits it is pinned.
func TestResolveImageChecksThePinnedImage(t *testing.T) {
	images := mockgraph.Options{Images: map[string]string{"ami-0123456789abcdef0": "x86_64"}}
	for _, tc := range []struct {
		pinned, instanceType string
		wantErr              bool
	}{
		{"ami-0123456789abcdef0", "t3.micro", false},
		{"ami-0123456789abcdef0", "t4g.nano", true}, // another architecture
		{"ami-0fedcba9876543210", "t3.micro", true}, // not in the region
	} {
		var img Image
		_, err := mockgraph.Run(func(ctx *pulumi.Context) (err error) {
			img, err = ResolveImage(ctx, tc.pinned, tc.instanceType)
			return err
		}, nil, images)
		var bad *ImageError
		switch {
		case !tc.wantErr && (err != nil || img != Image{ID: tc.pinned, Pinned: true}):
			t.Errorf("%s for %s: image %+v, error %v; want it pinned", tc.pinned, tc.instanceType, img, err)
		case tc.wantErr && !errors.As(err, &bad):
			t.Errorf("%s for %s: error %v, want an *ImageError", tc.pinned, tc.instanceType, err)
		case tc.wantErr && (bad.ID != tc.pinned || bad.InstanceType != tc.instanceType || bad.Architecture != Architecture(tc.instanceType) || bad.Err == nil):
			t.Errorf("%s for %s: %+v, want the image, the type, its architecture and the lookup's error", tc.pinned, tc.instanceType, bad)
		}
	}
}
