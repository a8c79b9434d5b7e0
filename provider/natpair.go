package main

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/natpair"
	"nat-instance/settings"
)

// DefaultVirtualRouterID is the pair's VRRP router id when the VPC has no other pair.
const DefaultVirtualRouterID = 1

// pairMembers are the member suffixes a rollMember input may name.
var pairMembers = []string{natpair.MemberSuffix(0), natpair.MemberSuffix(1)}

// NatPairArgs are the pair's inputs: a VPC made elsewhere, given by ids. Plain values shape what
// is built (addresses in rules and the boot script); inputs pass through.
type NatPairArgs struct {
	VpcID                pulumi.StringInput      `pulumi:"vpcId"`
	VpcCidr              string                  `pulumi:"vpcCidr"`
	PublicSubnetID       pulumi.StringInput      `pulumi:"publicSubnetId"`
	PublicSubnetCidr     string                  `pulumi:"publicSubnetCidr"`
	PrivateRouteTableIDs pulumi.StringArrayInput `pulumi:"privateRouteTableIds"`
	PrivateIP            string                  `pulumi:"privateIp"`
	MemberIPs            []string                `pulumi:"memberIps"`
	InstanceType         string                  `pulumi:"instanceType,optional"`
	Ami                  pulumi.StringInput      `pulumi:"ami,optional"`
	SSHAllowedCidrs      []string                `pulumi:"sshAllowedCidrs,optional"`
	KeyName              string                  `pulumi:"keyName,optional"`
	VirtualRouterID      int                     `pulumi:"virtualRouterId,optional"`
	RollMember           string                  `pulumi:"rollMember,optional"`
	InternetGatewayID    pulumi.StringInput      `pulumi:"internetGatewayId,optional"`
	PublicRoutingIDs     pulumi.StringArrayInput `pulumi:"publicRoutingIds,optional"`
	AlarmTopicArn        pulumi.StringInput      `pulumi:"alarmTopicArn,optional"`
	AlarmEmail           string                  `pulumi:"alarmEmail,optional"`
	AlarmTopicKmsKeyID   string                  `pulumi:"alarmTopicKmsKeyId,optional"`
	Dashboard            bool                    `pulumi:"dashboard,optional"`
}

// Annotate describes every input for the generated SDKs.
func (a *NatPairArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.VpcID, "Id of the VPC the NAT pair serves.")
	an.Describe(&a.VpcCidr, vpcCidrDescription)
	an.Describe(&a.PublicSubnetID, "Id of the public subnet (its route table sends 0.0.0.0/0 to an internet gateway) "+
		"that holds both members.")
	an.Describe(&a.PublicSubnetCidr, "IPv4 CIDR of that public subnet, e.g. 10.0.1.0/24: the active member claims "+
		"the NAT address with its prefix length, and every address must be usable in it.")
	an.Describe(&a.PrivateRouteTableIDs, "Ids of the private route tables whose default route (0.0.0.0/0) should go "+
		"to the NAT. Each must have no default route yet. The members may replace these routes' target and nothing "+
		"else (their role names the tables' ARNs, built from the ids in the stack's partition, region and account). "+
		"While the ids are unknown (a preview before the route tables exist) the routes are not previewed.")
	an.Describe(&a.PrivateIP, "The NAT's floating private IPv4 address, usable in the public subnet: no interface "+
		"declares it, the active member claims it as a secondary address.")
	an.Describe(&a.MemberIPs, "The two members' fixed primary addresses (a, then b), usable in the public subnet, "+
		"distinct from each other and from privateIp. Member a starts active.")
	an.Describe(&a.InstanceType, "EC2 instance type of both members. The AMI's architecture follows it "+
		"(t4g.nano gets arm64, t3.micro x86_64).")
	an.SetDefault(&a.InstanceType, DefaultInstanceType)
	an.Describe(&a.Ami, "AMI id for the members; a change of it replaces the rolling member. Unset looks up the "+
		"current Amazon Linux 2023 AMI for the instance type's architecture (public SSM parameter), kept from "+
		"then on.")
	an.Describe(&a.SSHAllowedCidrs, sshAllowedCidrsDescription("the members"))
	an.Describe(&a.KeyName, keyNameDescription)
	an.Describe(&a.VirtualRouterID, "The pair's VRRP router id (1 to 255), unique among the NAT pairs of the VPC.")
	an.SetDefault(&a.VirtualRouterID, DefaultVirtualRouterID)
	an.Describe(&a.RollMember, "The member (a or b) that takes a changed instance type, key pair, boot "+
		"configuration or AMI now, being replaced; the other keeps what it runs, so that one update never takes "+
		"both members down. Unset: both keep what they run.")
	an.Describe(&a.InternetGatewayID, internetGatewayIDDescription("the members' own Elastic IPs are"))
	an.Describe(&a.PublicRoutingIDs, publicRoutingIDsDescription("the members start"))
	describeMonitoring(an, &a.AlarmTopicArn, &a.AlarmEmail, &a.AlarmTopicKmsKeyID, &a.Dashboard)
}

// NatPair is the pair with its outputs: the natpair package's component, served as it is.
type NatPair natpair.Pair

// Annotate describes every output and keeps the Go program's token.
func (n *NatPair) Annotate(an infer.Annotator) {
	an.SetToken("compute", "NatPair")
	an.Describe(n, "A NAT whose identity (floating private address, Elastic IP, private route targets) moves "+
		"between two member instances in one public subnet: keepalived elects the active member, conntrackd "+
		"keeps its connections, and a member's failure costs seconds. Each member has its own Elastic IP and "+
		"recovery alarms; the pair's role may move this pair's identity and nothing else.")
	an.Describe(&n.SecurityGroupID, "Id of the pair's security group (allow SSH from it to reach private "+
		"instances through the NAT as a jump host).")
	an.Describe(&n.InstanceID, "Id of the member that started active (member a).")
	an.Describe(&n.PrivateIP, "The NAT's floating private IPv4 address.")
	an.Describe(&n.PublicIP, "Public IPv4 address (the floating Elastic IP) that the private subnets' traffic leaves with.")
	an.Describe(&n.AlarmArns, alarmArnsDescription+" Both members have the capacity alarms and the status-check alarms that recover or reboot them.")
	an.Describe(&n.DashboardURL, dashboardURLDescription)
	an.Describe(&n.MemberInstanceIDs, "Instance ids of members a and b.")
	an.Describe(&n.MemberPrivateIPs, "Fixed private IPv4 addresses of members a and b.")
	an.Describe(&n.MemberPublicIPs, "The members' own public IPv4 addresses (for their packages and API calls).")
	an.Describe(&n.StartedActive, "Name of the member that started active; after a failover the other one is.")
	an.Describe(&n.MemberAmis, "AMI ids members a and b run.")
}

// NewNatPair checks the inputs, then builds the pair with natpair.New.
func NewNatPair(ctx *pulumi.Context, name string, args NatPairArgs, opts ...pulumi.ResourceOption) (*NatPair, error) {
	if args.InstanceType == "" {
		args.InstanceType = DefaultInstanceType
	}
	if args.VirtualRouterID == 0 {
		args.VirtualRouterID = DefaultVirtualRouterID
	}
	monitoring := monitoringInputs{args.AlarmTopicArn, args.AlarmEmail, args.AlarmTopicKmsKeyID, args.Dashboard}
	subnet, err := args.check(ctx, monitoring)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w, err := wire(ctx, name, args.InternetGatewayID, args.PublicRoutingIDs, args.PrivateRouteTableIDs)
	if err != nil {
		return nil, err
	}
	region, tableArn, err := routeTableArns(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pairRoutes := make([]natpair.Route, len(w.routes))
	for i, route := range w.routes {
		pairRoutes[i] = natpair.Route{PrivateRoute: route, RouteTableArn: tableArn(route.RouteTableID)}
	}
	pair, err := natpair.New(ctx, name, &natpair.Args{
		InstanceSettings: compute.InstanceSettings{
			InstanceType: args.InstanceType,
			AmiID:        args.Ami,
			AmiPinned:    args.Ami != nil,
			KeyName:      args.KeyName,
		},
		Region:          region,
		VpcID:           args.VpcID,
		VpcCidr:         args.VpcCidr,
		SubnetID:        args.PublicSubnetID,
		SubnetPrefixLen: subnet.Bits(),
		FloatingIP:      args.PrivateIP,
		MemberIPs:       [natpair.Members]string{args.MemberIPs[0], args.MemberIPs[1]},
		SSHAllowedCidrs: args.SSHAllowedCidrs,
		VirtualRouterID: args.VirtualRouterID,
		InternetGateway: w.gateway,
		PublicRouting:   w.publicRouting,
		Rolling:         [natpair.Members]bool{args.RollMember == pairMembers[0], args.RollMember == pairMembers[1]},
		PrivateRoutes:   pairRoutes,
		MonitoringArgs:  monitoring.args(),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return (*NatPair)(pair), nil
}

// routeTableArns returns the stack's region and how a route table's ARN is built from its id,
// in the stack's partition and account: the pair's role names the tables it may change, and a
// VPC given by ids gives no ARNs.
func routeTableArns(ctx *pulumi.Context) (string, func(id pulumi.StringInput) pulumi.StringOutput, error) {
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return "", nil, fmt.Errorf("partition: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return "", nil, fmt.Errorf("region: %w", err)
	}
	account, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return "", nil, fmt.Errorf("account: %w", err)
	}
	return region.Name, func(id pulumi.StringInput) pulumi.StringOutput {
		return pulumi.Sprintf("arn:%s:ec2:%s:%s:route-table/%s", partition.Partition, region.Name, account.AccountId, id)
	}, nil
}

// check reports every bad input at once, naming the input, its value and what is allowed,
// before any resource exists. It returns the public subnet.
func (a NatPairArgs) check(ctx *pulumi.Context, monitoring monitoringInputs) (netip.Prefix, error) {
	var p problems
	vpc := p.checkShared(a.VpcCidr, a.InstanceType, a.KeyName, a.SSHAllowedCidrs)
	if err := monitoring.check(ctx, &p); err != nil {
		return netip.Prefix{}, err
	}
	subnet, want := settings.ParsePrefix(a.PublicSubnetCidr, 16, 28)
	switch {
	case want != "":
		p.bad("publicSubnetCidr", a.PublicSubnetCidr, want+" (AWS allows /16 to /28)")
	case vpc.IsValid() && (!vpc.Contains(subnet.Addr()) || subnet.Bits() < vpc.Bits()):
		p.bad("publicSubnetCidr", a.PublicSubnetCidr, "must lie inside vpcCidr "+vpc.String())
	}
	if len(a.MemberIPs) != len(pairMembers) {
		p.bad("memberIps", fmt.Sprint(a.MemberIPs), "must give two addresses, member a's then member b's")
	}
	// The NAT's address first: it is the one a member address must not take.
	addresses := [][2]string{{"privateIp", a.PrivateIP}}
	for _, ip := range a.MemberIPs {
		addresses = append(addresses, [2]string{"memberIps", ip})
	}
	seen := map[netip.Addr]string{}
	for _, address := range addresses {
		key, value := address[0], address[1]
		addr, want := settings.CheckHostIP(value, "publicSubnetCidr", subnet, seen)
		if want != "" {
			p.bad(key, value, want)
			continue
		}
		seen[addr] = key
	}
	if a.VirtualRouterID < 1 || a.VirtualRouterID > 255 {
		p.bad("virtualRouterId", fmt.Sprint(a.VirtualRouterID), "must be a VRRP router id, 1 to 255")
	}
	if a.RollMember != "" && a.RollMember != pairMembers[0] && a.RollMember != pairMembers[1] {
		p.bad("rollMember", a.RollMember, "must be a or b (the member to replace now), or unset")
	}
	return subnet, errors.Join(p...)
}
