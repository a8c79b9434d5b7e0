package compute

import (
	"fmt"
	"strings"

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
