package lab

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/settings"
)

// resolveImage returns the image that key pins, or the current Amazon Linux 2023. A pinned
// image that does not suit instanceType is a mistake in the stack configuration.
func resolveImage(ctx *pulumi.Context, key, pinned, instanceType string) (compute.Image, error) {
	img, err := compute.ResolveImage(ctx, pinned, instanceType)
	var bad *compute.ImageError
	if errors.As(err, &bad) {
		return img, settings.Problems{{Key: key, Value: pinned,
			Want: fmt.Sprintf("must be an %s image of this region (%s is %s): %v", bad.Architecture, instanceType, bad.Architecture, bad.Err)}}
	}
	return img, err
}

// runningImage returns the image the instances run, after checking that it suits
// instanceType. An image that is not pinned is kept from the instances' creation (see
// compute.Image.Options), so a new instance type of another architecture would meet an image it
// cannot boot: AWS would stop the instance and refuse the type. The check fails the preview
// instead, naming key, the one to set. amis are the instances' images as the state records
// them (the first is returned).
func runningImage(ctx *pulumi.Context, key string, img compute.Image, instanceType string, amis []pulumi.StringOutput) pulumi.StringOutput {
	if len(amis) == 0 {
		return pulumi.String(img.ID).ToStringOutput()
	}
	all := make([]any, len(amis))
	for i, ami := range amis {
		all[i] = ami
	}
	return pulumi.All(all...).ApplyT(func(ids []any) (string, error) {
		for _, v := range ids {
			id, _ := v.(string)
			if id == img.ID {
				continue // the image just resolved for this type
			}
			var bad *compute.ImageError
			if errors.As(compute.CheckImage(ctx, id, instanceType), &bad) {
				return "", fmt.Errorf("%s:%s is unset, so the instances keep their image %s, which is not %s as %s needs: "+
					"pin an %s image first (pulumi config set %s <ami-id>, see docs/updating.md): %w",
					settings.Namespace, key, id, bad.Architecture, instanceType, bad.Architecture, key, bad.Err)
			}
		}
		id, _ := ids[0].(string)
		return id, nil
	}).(pulumi.StringOutput)
}
