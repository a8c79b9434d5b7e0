// Package lab is the nat-instance program: it reads the stack configuration, composes the
// network and compute components the way the README's diagram draws them, and exports what a
// user needs to reach and check the lab. main.go runs it; the tests and the network twin run
// the very same function under mocks.
package lab

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/network"
	"nat-instance/settings"
)

// FlowLogRetentionDays keeps a week of VPC flow logs: enough to debug the lab, cheap to keep.
const FlowLogRetentionDays = 7

// Program is the Pulumi program. Every config mistake is reported before the first resource.
func Program(ctx *pulumi.Context) error {
	s, err := settings.Load(ctx)
	if err != nil {
		return err
	}
	zones, err := placeZones(ctx, s)
	if err != nil {
		return err
	}
	natAmi, err := compute.LookupAmazonLinux(ctx, s.NatInstanceType)
	if err != nil {
		return err
	}
	privateAmi, err := compute.LookupAmazonLinux(ctx, s.PrivateInstanceType)
	if err != nil {
		return err
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("lab: region: %w", err)
	}
	zone := s.Zones[0]

	// VPC 10.40.0.0/16: internet gateway, public and private subnet, their route tables.
	vpc, err := network.NewVpc(ctx, "nat-lab", &network.VpcArgs{
		CidrBlock: s.VpcCidr.String(),
		Zones: []network.ZoneArgs{{
			AvailabilityZone:  zones[0],
			PublicSubnetCidr:  zone.PublicSubnet.String(),
			PrivateSubnetCidr: zone.PrivateSubnet.String(),
		}},
		FlowLogRetentionDays: FlowLogRetentionDays,
	})
	if err != nil {
		return err
	}

	// Session Manager instead of open SSH, for every instance.
	profile, err := compute.NewSessionManagerProfile(ctx, "nat-lab-ssm")
	if err != nil {
		return err
	}
	base := compute.InstanceSettings{InstanceProfileName: profile.Name, KeyName: s.KeyName}

	// NAT instance in the public subnet; the private route table's 0.0.0.0/0 goes to its ENI.
	natSettings := base
	natSettings.InstanceType, natSettings.AmiId = s.NatInstanceType, pulumi.String(natAmi)
	nat, err := compute.NewNatInstance(ctx, "nat-instance", &compute.NatInstanceArgs{
		InstanceSettings:          natSettings,
		VpcId:                     vpc.VpcId.ToStringOutput(),
		VpcCidr:                   s.VpcCidr.String(),
		SubnetId:                  vpc.PublicSubnets[0].ID().ToStringOutput(),
		PrivateIp:                 zone.NatPrivateIP.String(),
		SshAllowedCidrs:           prefixStrings(s.SSHAllowedCidrs),
		InternetGatewayAttachment: vpc.InternetGatewayAttachment,
		PrivateRouteTableIds:      []pulumi.StringInput{vpc.PrivateRouteTables[0].ID().ToStringOutput()},
	})
	if err != nil {
		return err
	}

	// Private instances in the private subnet, reachable only through the NAT.
	privateSettings := base
	privateSettings.InstanceType, privateSettings.AmiId = s.PrivateInstanceType, pulumi.String(privateAmi)
	private, err := compute.NewPrivateInstances(ctx, "private-ec2", &compute.PrivateInstancesArgs{
		InstanceSettings:   privateSettings,
		VpcId:              vpc.VpcId.ToStringOutput(),
		VpcCidr:            s.VpcCidr.String(),
		SubnetId:           vpc.PrivateSubnets[0].ID().ToStringOutput(),
		PrivateIps:         addrStrings(zone.PrivateInstanceIPs),
		NatSecurityGroupId: nat.SecurityGroupId.ToStringOutput(),
	})
	if err != nil {
		return err
	}

	exportOutputs(ctx, s, region.Name, zones, vpc, nat, private)
	return nil
}
