// Package network owns the lab's VPC: internet gateway, subnets, route tables and their
// associations, the locked-down default security group and the VPC flow logs.
package network

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// VpcArgs decides the VPC's shape with plain values, so the graph is known before deployment.
type VpcArgs struct {
	CidrBlock string
	Zones     []ZoneArgs
	// FlowLogRetentionDays keeps flow logs long enough to debug and short enough to cost little.
	FlowLogRetentionDays int
	// PermissionsBoundary is the ARN of the flow log role's permissions boundary; empty for none.
	PermissionsBoundary string
}

// ZoneArgs is one availability zone's public and private subnet.
type ZoneArgs struct {
	AvailabilityZone  string
	PublicSubnetCidr  string
	PrivateSubnetCidr string
	// KeepZone keeps an existing subnet in the zone it was created in when AvailabilityZone
	// was picked by the program, not set by the user: a zone picked again from live offerings
	// must not move a subnet (a new subnet with the same CIDR is refused while the old exists).
	KeepZone bool
}

// Vpc is the network component. Its fields are what the compute components need.
type Vpc struct {
	pulumi.ResourceState

	VpcID     pulumi.IDOutput
	CidrBlock string
	// InternetGatewayAttachment must exist before an Elastic IP can be associated.
	InternetGatewayAttachment *ec2.InternetGatewayAttachment
	PublicSubnets             []*ec2.Subnet
	PrivateSubnets            []*ec2.Subnet
	PublicRouteTable          *ec2.RouteTable
	// PublicDefaultRoute and each public subnet's table association (PublicAssociations) are
	// what an instance in a public subnet needs to reach the internet.
	PublicDefaultRoute *ec2.Route
	PublicAssociations []*ec2.RouteTableAssociation
	// PrivateRouteTables has one table per zone; they start without a default route.
	PrivateRouteTables []*ec2.RouteTable
}

// NewVpc creates the VPC and everything in it that does not run.
func NewVpc(ctx *pulumi.Context, name string, args *VpcArgs, opts ...pulumi.ResourceOption) (*Vpc, error) {
	if len(args.Zones) == 0 {
		return nil, fmt.Errorf("network: %s: at least one zone is needed", name)
	}
	// Asked first, so that a failure leaves nothing behind.
	caller, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("network: flow logs: account: %w", err)
	}
	v := &Vpc{CidrBlock: args.CidrBlock}
	if err := ctx.RegisterComponentResource("nat-instance:network:Vpc", name, v, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(v)

	vpc, err := ec2.NewVpc(ctx, name, &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.CidrBlock),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               nameTag(name),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: vpc %s: %w", args.CidrBlock, err)
	}
	v.VpcID = vpc.ID()

	// AWS creates a default security group that allows all traffic between its members and
	// all egress; managing it with no rules removes them (CKV2_AWS_12).
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag(name + "-default-sg (no rules)"),
	}, parent); err != nil {
		return nil, fmt.Errorf("network: default security group: %w", err)
	}

	if err := newFlowLogs(ctx, name, vpc, caller.AccountId, args, parent); err != nil {
		return nil, err
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		Tags: nameTag(name + "-igw"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: internet gateway: %w", err)
	}
	v.InternetGatewayAttachment, err = ec2.NewInternetGatewayAttachment(ctx, name+"-igw-attachment", &ec2.InternetGatewayAttachmentArgs{
		InternetGatewayId: igw.ID(),
		VpcId:             vpc.ID(),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: internet gateway attachment: %w", err)
	}

	v.PublicRouteTable, err = ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  nameTag(name + "-public"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: public route table: %w", err)
	}
	// The attachment's gateway id, not the gateway's, so the route waits for the attachment.
	v.PublicDefaultRoute, err = ec2.NewRoute(ctx, name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         v.PublicRouteTable.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            v.InternetGatewayAttachment.InternetGatewayId,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: public default route: %w", err)
	}

	for i, zone := range args.Zones {
		suffix := fmt.Sprintf("-%d", i+1)
		public, publicAssociation, err := newSubnet(ctx, name+"-public"+suffix, vpc, zone, zone.PublicSubnetCidr, v.PublicRouteTable, parent)
		if err != nil {
			return nil, err
		}
		v.PublicAssociations = append(v.PublicAssociations, publicAssociation)
		privateTable, err := ec2.NewRouteTable(ctx, name+"-private"+suffix, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  nameTag(name + "-private" + suffix),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network: private route table %s: %w", zone.AvailabilityZone, err)
		}
		private, _, err := newSubnet(ctx, name+"-private"+suffix, vpc, zone, zone.PrivateSubnetCidr, privateTable, parent)
		if err != nil {
			return nil, err
		}
		v.PublicSubnets = append(v.PublicSubnets, public)
		v.PrivateSubnets = append(v.PrivateSubnets, private)
		v.PrivateRouteTables = append(v.PrivateRouteTables, privateTable)
	}

	if err := ctx.RegisterResourceOutputs(v, pulumi.Map{
		"vpcId":                v.VpcID,
		"internetGatewayId":    igw.ID(),
		"publicSubnetIds":      ids(v.PublicSubnets),
		"privateSubnetIds":     ids(v.PrivateSubnets),
		"privateRouteTableIds": ids(v.PrivateRouteTables),
	}); err != nil {
		return nil, err
	}
	return v, nil
}

// newSubnet creates a subnet and associates it with its route table. No subnet maps public
// IPs on launch: the only public address is the NAT's Elastic IP.
func newSubnet(ctx *pulumi.Context, name string, vpc *ec2.Vpc, zone ZoneArgs, cidr string, table *ec2.RouteTable, parent pulumi.ResourceOption) (*ec2.Subnet, *ec2.RouteTableAssociation, error) {
	opts := []pulumi.ResourceOption{parent}
	if zone.KeepZone {
		opts = append(opts, pulumi.IgnoreChanges([]string{"availabilityZone"}))
	}
	subnet, err := ec2.NewSubnet(ctx, name, &ec2.SubnetArgs{
		VpcId:               vpc.ID(),
		CidrBlock:           pulumi.String(cidr),
		AvailabilityZone:    pulumi.String(zone.AvailabilityZone),
		MapPublicIpOnLaunch: pulumi.Bool(false),
		Tags:                nameTag(name),
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("network: subnet %s: %w", cidr, err)
	}
	association, err := ec2.NewRouteTableAssociation(ctx, name, &ec2.RouteTableAssociationArgs{
		SubnetId:     subnet.ID(),
		RouteTableId: table.ID(),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("network: route table association %s: %w", cidr, err)
	}
	return subnet, association, nil
}

func nameTag(name string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(name)}
}

// ids lists the ids of resources, in order.
func ids[R interface{ ID() pulumi.IDOutput }](resources []R) pulumi.StringArray {
	out := make(pulumi.StringArray, len(resources))
	for i, r := range resources {
		out[i] = r.ID().ToStringOutput()
	}
	return out
}
