package lab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/settings"
)

// placeZones returns each zone's availability zone name: the configured ones, checked against
// the region, or else the region's first standard zones that offer both instance types (not
// every zone offers every type, and a failed launch would leave a half-built lab).
func placeZones(ctx *pulumi.Context, s settings.Settings) ([]string, error) {
	available, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("lab: availability zones: %w", err)
	}
	types := slices.Compact(slices.Sorted(slices.Values([]string{s.NatInstanceType, s.PrivateInstanceType})))
	offers, err := ec2.GetInstanceTypeOfferings(ctx, &ec2.GetInstanceTypeOfferingsArgs{
		LocationType: pulumi.StringRef("availability-zone"),
		Filters: []ec2.GetInstanceTypeOfferingsFilter{
			{Name: "instance-type", Values: types},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("lab: instance type offerings: %w", err)
	}
	offeredIn := map[[2]string]bool{} // {zone, instance type}
	for i, zone := range offers.Locations {
		offeredIn[[2]string{zone, offers.InstanceTypes[i]}] = true
	}
	offered := func(zone string) bool {
		for _, t := range types {
			if !offeredIn[[2]string{zone, t}] {
				return false
			}
		}
		return true
	}

	var problems settings.Problems
	zones := make([]string, len(s.Zones))
	if s.Zones[0].AvailabilityZone == "" {
		picked := slices.DeleteFunc(slices.Clone(available.Names), func(z string) bool { return !offered(z) })
		if len(picked) < len(zones) {
			return nil, settings.Problems{{Key: settings.KeyZoneCount, Value: fmt.Sprint(len(zones)),
				Want: fmt.Sprintf("only %d zone(s) of this region offer %s: %s", len(picked), strings.Join(types, " and "), strings.Join(picked, ", "))}}
		}
		return picked[:len(zones)], nil
	}
	for i, z := range s.Zones {
		switch {
		case !slices.Contains(available.Names, z.AvailabilityZone):
			problems = append(problems, settings.Problem{Key: s.ZonesKey, Value: z.AvailabilityZone,
				Want: "must be one of this region's zones: " + strings.Join(available.Names, ", ")})
		case !offered(z.AvailabilityZone):
			problems = append(problems, settings.Problem{Key: s.ZonesKey, Value: z.AvailabilityZone,
				Want: fmt.Sprintf("does not offer %s; use another zone or leave it unset", strings.Join(types, " and "))})
		default:
			zones[i] = z.AvailabilityZone
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return zones, nil
}
