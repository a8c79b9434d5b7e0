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
	"nat-instance/natpair"
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
	natImage, err := resolveImage(ctx, settings.KeyNatAmiID, s.NatAmiID, s.NatInstanceType)
	if err != nil {
		return err
	}
	privateImage, err := resolveImage(ctx, settings.KeyPrivateAmiID, s.PrivateAmiID, s.PrivateInstanceType)
	if err != nil {
		return err
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return fmt.Errorf("lab: region: %w", err)
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return fmt.Errorf("lab: partition: %w", err)
	}
	if err := settings.CheckKeyPair(ctx, s, region.Name); err != nil {
		return err
	}
	if err := settings.CheckAlarmTargets(s, partition.Partition, region.Name); err != nil {
		return err
	}
	// Whom the alarms tell: a topic of the stack's, made before the NATs whose alarms name it.
	monitoring, err := newMonitoring(ctx, s)
	if err != nil {
		return err
	}
	natMonitoring := compute.MonitoringArgs{Notify: monitoring.Notify}

	// Session Manager instead of open SSH, for every instance. Single NAT instances have a role of
	// their own, which may also publish their capacity metrics (and only to their namespace); a
	// NAT pair has its own role too (natpair.New).
	profile, err := compute.NewSessionManagerProfile(ctx, "nat-lab-ssm", &compute.SessionManagerProfileArgs{
		// The description the shared role always had: the private instances' role is unchanged.
		Description:         "Session Manager access to the nat-instance lab's instances",
		PermissionsBoundary: s.IamPermissionsBoundary,
	})
	if err != nil {
		return err
	}
	var natProfileName pulumi.StringOutput
	if !s.NatHighAvailability {
		putMetrics, err := compute.PutNatMetricsPolicy()
		if err != nil {
			return err
		}
		natProfile, err := compute.NewSessionManagerProfile(ctx, "nat-lab-nat", &compute.SessionManagerProfileArgs{
			Description:         "Session Manager access to the nat-instance lab's NAT instances, and their CloudWatch metrics",
			InlinePolicies:      map[string]string{"put-metrics": putMetrics},
			PermissionsBoundary: s.IamPermissionsBoundary,
		})
		if err != nil {
			return err
		}
		natProfileName = natProfile.Name
	}

	// VPC 10.40.0.0/16: internet gateway, and per zone a public and a private subnet, each with
	// its route table.
	vpcArgs := &network.VpcArgs{CidrBlock: s.VpcCidr.String(), FlowLogRetentionDays: FlowLogRetentionDays,
		PermissionsBoundary: s.IamPermissionsBoundary}
	for i, z := range s.Zones {
		vpcArgs.Zones = append(vpcArgs.Zones, network.ZoneArgs{
			AvailabilityZone:  zones[i],
			PublicSubnetCidr:  z.PublicSubnet.String(),
			PrivateSubnetCidr: z.PrivateSubnet.String(),
			KeepZone:          z.AvailabilityZone == "",
		})
	}
	vpc, err := network.NewVpc(ctx, "nat-lab", vpcArgs)
	if err != nil {
		return err
	}

	base := compute.InstanceSettings{InstanceProfileName: profile.Name, KeyName: s.KeyName}

	// NAT instances in public subnets: each private route table's 0.0.0.0/0 goes to the ENI of
	// its zone's NAT (perZone) or of the one NAT (single).
	natSettings := base
	natSettings.InstanceType, natSettings.AmiID, natSettings.AmiPinned = s.NatInstanceType, pulumi.String(natImage.ID), natImage.Pinned
	natSettings.InstanceProfileName = natProfileName
	var nats []compute.NatEndpoint
	var pairs []*natpair.Pair
	var natAmis []pulumi.StringOutput // the images the NAT instances run, as recorded
	var monitored []compute.Monitored // what the dashboard shows of each NAT
	for _, zone := range s.NatZones() {
		var routes []compute.PrivateRoute
		var tableArns []pulumi.StringInput
		for served, table := range vpc.PrivateRouteTables {
			if natZone(s, served) == zone {
				routes = append(routes, compute.PrivateRoute{
					Name:         fmt.Sprintf("nat-instance-route-%d", served+1),
					RouteTableID: table.ID().ToStringOutput(),
				})
				tableArns = append(tableArns, table.Arn)
			}
		}
		natArgs := natpair.NatArgs{NatInstanceArgs: compute.NatInstanceArgs{
			InstanceSettings: natSettings,
			VpcID:            vpc.VpcID.ToStringOutput(),
			VpcCidr:          s.VpcCidr.String(),
			SubnetID:         vpc.PublicSubnets[zone].ID().ToStringOutput(),
			PrivateIP:        s.Zones[zone].NatPrivateIP.String(),
			SSHAllowedCidrs:  prefixStrings(s.SSHAllowedCidrs),
			InternetGateway:  []pulumi.Resource{vpc.InternetGatewayAttachment},
			PublicRouting:    []pulumi.Resource{vpc.PublicDefaultRoute, vpc.PublicAssociations[zone]},
			PrivateRoutes:    routes,
			MonitoringArgs:   natMonitoring,
		}}
		if s.NatHighAvailability {
			natArgs.Pair = pairing(s, region.Name, zone, len(nats), tableArns)
		}
		nat, err := natpair.NewNat(ctx, settings.NatName(zone), natArgs)
		if err != nil {
			return err
		}
		if pair, ok := nat.(*natpair.Pair); ok {
			pairs = append(pairs, pair)
		}
		monitored = append(monitored, nat.Monitored())
		nats = append(nats, nat.Endpoint())
		natAmis = append(natAmis, nat.Endpoint().Amis...)
	}

	// Private instances in the private subnets, reachable only through a NAT.
	privateSettings := base
	privateSettings.InstanceType, privateSettings.AmiID, privateSettings.AmiPinned = s.PrivateInstanceType, pulumi.String(privateImage.ID), privateImage.Pinned
	privateArgs := &compute.PrivateInstancesArgs{
		InstanceSettings: privateSettings,
		VpcID:            vpc.VpcID.ToStringOutput(),
		VpcCidr:          s.VpcCidr.String(),
	}
	for _, nat := range nats {
		privateArgs.NatSecurityGroupIDs = append(privateArgs.NatSecurityGroupIDs, nat.SecurityGroupID)
	}
	for _, p := range s.PrivateInstances {
		privateArgs.Instances = append(privateArgs.Instances, compute.PrivateInstanceArgs{
			SubnetID:  vpc.PrivateSubnets[p.Zone].ID().ToStringOutput(),
			PrivateIP: p.IP.String(),
		})
	}
	private, err := compute.NewPrivateInstances(ctx, "private-ec2", privateArgs)
	if err != nil {
		return err
	}

	// The topic's policy names every alarm; the dashboard shows every NAT.
	if err := watch(ctx, s, region.Name, partition.Partition, monitoring, monitored); err != nil {
		return err
	}

	exportOutputs(ctx, s, region.Name, zones, vpc, nats, private)
	if len(pairs) > 0 {
		exportNatPairs(ctx, region.Name, pairs)
	}
	// The images the instances run: the value to pin (docs/updating.md).
	ctx.Export(settings.KeyNatAmiID, runningImage(ctx, settings.KeyNatAmiID, natImage, s.NatInstanceType, natAmis))
	ctx.Export(settings.KeyPrivateAmiID, runningImage(ctx, settings.KeyPrivateAmiID, privateImage, s.PrivateInstanceType, private.Amis))
	return nil
}
