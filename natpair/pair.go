// Package natpair is a NAT whose identity floats between two member instances (docs/nat-pairs.md):
// the component, the members' boot files and scripts, the role that lets them move the identity,
// the roll-out rules, and how members are named. What it shares with a single NAT instance
// (instance hardening, security group rules, alarms, dashboard, metrics) is in compute.
package natpair

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
)

// vrrpProtocol is keepalived's VRRP (IP protocol 112), unicast between the members.
const vrrpProtocol = "112"

// Args places a NAT pair: two member instances in one public subnet that share the NAT's
// identity (floating private address, Elastic IP, route targets). Plain values shape the graph.
type Args struct {
	// InstanceSettings' InstanceProfileName is ignored: a pair gets its own role, allowed to
	// move this pair's identity and nothing else.
	compute.InstanceSettings
	Region   string
	VpcID    pulumi.StringInput
	VpcCidr  string
	SubnetID pulumi.StringInput
	// SubnetPrefixLen is the public subnet's prefix length, for the floating address.
	SubnetPrefixLen int
	// FloatingIP is the NAT's address (natPrivateIp); no interface declares it: the active member
	// claims it.
	FloatingIP string
	// MemberIPs are the fixed primary addresses of members a and b.
	MemberIPs       [Members]string
	SSHAllowedCidrs []string
	// VirtualRouterID is the pair's VRRP id, unique in the VPC.
	VirtualRouterID int
	// InternetGateway is what attaches the VPC's internet gateway (see NatInstanceArgs).
	InternetGateway []pulumi.Resource
	// PublicRouting is the public subnet's way to the internet gateway (see NatInstanceArgs).
	PublicRouting []pulumi.Resource
	// Rolling tells which members (a, b) take the configured image, type, key pair and boot
	// script now; the others keep what they run (see memberOptions).
	Rolling       [Members]bool
	PrivateRoutes []Route
	// MonitoringArgs: whom the alarms tell, and whether the NAT has a dashboard of its own (the
	// lab passes its stack's topic and makes one dashboard for all its NATs).
	compute.MonitoringArgs
	// PermissionsBoundary is the ARN of the pair role's permissions boundary; empty for none.
	PermissionsBoundary string
}

// Route is a private default route the pair serves; the role may replace it by its table's ARN.
type Route struct {
	compute.PrivateRoute
	RouteTableArn pulumi.StringInput
}

// Pair is a NAT whose identity floats between two member instances (docs/nat-pairs.md).
// Its fields mean what NatInstance's do; InstanceID is the member that started active.
type Pair struct {
	pulumi.ResourceState

	// Tagged, so that a component provider can serve these as the component's outputs.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	InstanceID      pulumi.StringOutput `pulumi:"instanceId"`
	PrivateIP       pulumi.StringOutput `pulumi:"privateIp"`
	PublicIP        pulumi.StringOutput `pulumi:"publicIp"`

	MemberInstanceIDs pulumi.StringArrayOutput `pulumi:"memberInstanceIds"`
	MemberPrivateIPs  pulumi.StringArrayOutput `pulumi:"memberPrivateIps"`
	MemberPublicIPs   pulumi.StringArrayOutput `pulumi:"memberPublicIps"`
	// StartedActive names the member with the higher VRRP priority on a fresh pair.
	StartedActive pulumi.StringOutput `pulumi:"startedActive"`
	// MemberAmis are the images the members run, as recorded in the state.
	MemberAmis pulumi.StringArrayOutput `pulumi:"memberAmis"`
	// AlarmArns are both members' alarms; DashboardURL the pair's own dashboard's
	// (MonitoringArgs.Dashboard), "" without one.
	AlarmArns    pulumi.StringArrayOutput `pulumi:"alarmArns"`
	DashboardURL pulumi.StringOutput      `pulumi:"dashboardUrl"`

	monitored compute.Monitored
}

// member is what the pair builds for each of its two members.
type member struct {
	name     string
	ip       string
	eni      *ec2.NetworkInterface
	eip      *ec2.Eip
	instance *ec2.Instance
}

// Members is how many members a pair has; member 0 starts active.
const Members = 2

// MemberSuffix is member i's letter (0 for "a", 1 for "b"): how the component's rollMember
// input names it.
func MemberSuffix(i int) string { return string(rune('a' + i)) }

// MemberName names member i of the NAT named nat: its instance, interface, Elastic IP and
// alarms carry this name, and natPairRoll lists members by it.
func MemberName(nat string, i int) string { return nat + "-" + MemberSuffix(i) }

// New creates the pair's security group, role, member interfaces, Elastic IPs and
// instances, the NAT's floating Elastic IP (associated by the active member, not here), the
// private default routes (their target owned by keepalived after creation), the alarms that
// bring a failed member back and the alarm of an identity that is not whole.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Pair, error) {
	// The alarms' EC2 actions are named in the stack's partition (aws, aws-cn, aws-us-gov).
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("natpair:: partition: %w", err)
	}
	// The members' settings: the current Amazon Linux unless an image is given, the pair's role.
	memberSettings, err := args.InstanceSettings.WithImage(ctx)
	if err != nil {
		return nil, err
	}
	n := &Pair{}
	if err := ctx.RegisterComponentResource("nat-instance:compute:NatPair", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	sg, err := newPairSecurityGroup(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	untracked, err := newUntrackedGroup(ctx, name+"-untracked", args.VpcID, parent)
	if err != nil {
		return nil, err
	}

	// The NAT's Elastic IP: no EipAssociation, the active member associates it with the floating
	// address. A declared association would read back as gone after a failover. The fields a
	// refresh reads the association into are never set here, and left to the members.
	floating, err := ec2.NewEip(ctx, name, &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent, pulumi.IgnoreChanges([]string{"networkInterface", "instance", "associateWithPrivateIp", "privateIp", "associationId"}))
	if err != nil {
		return nil, fmt.Errorf("natpair: Elastic IP: %w", err)
	}

	members := make([]*member, Members)
	for i := range members {
		m := &member{name: MemberName(name, i), ip: args.MemberIPs[i]}
		// The floating address is not declared here: it is the active member's secondary
		// address, assigned at takeover; refresh then reads it back, and nothing is planned.
		m.eni, err = ec2.NewNetworkInterface(ctx, m.name, &ec2.NetworkInterfaceArgs{
			Description:     pulumi.String(m.name + " primary interface (source/dest check off to forward; the NAT address floats onto the active member)"),
			SubnetId:        args.SubnetID,
			PrivateIps:      pulumi.StringArray{pulumi.String(m.ip)},
			SecurityGroups:  pulumi.StringArray{sg.ID(), untracked.ID()},
			SourceDestCheck: pulumi.Bool(false),
			Tags:            pulumi.StringMap{"Name": pulumi.String(m.name)},
		}, parent, pulumi.IgnoreChanges(memberInterfaceHeld(args.Rolling[i])),
			// Deleted before the NAT's Elastic IP: EC2 refuses to release an address still
			// associated (ReleaseAddress: InvalidIPAddress.InUse), and the association the active
			// member made is in no state; deleting its interface first disassociates it.
			pulumi.DependsOn([]pulumi.Resource{floating}))
		if err != nil {
			return nil, fmt.Errorf("natpair: member interface %s: %w", m.ip, err)
		}
		members[i] = m
	}

	profile, policy, err := newPairRole(ctx, name, args.PermissionsBoundary, floating, members, args.PrivateRoutes, parent)
	if err != nil {
		return nil, err
	}

	// Whom the alarms tell, and the NAT's own dashboard if asked for.
	monitoring, err := compute.NewMonitoring(ctx, name, args.MonitoringArgs, parent)
	if err != nil {
		return nil, err
	}
	var alarms []pulumi.StringOutput
	routeTables, routes := pulumi.StringArray{}, make([]compute.PrivateRoute, len(args.PrivateRoutes))
	for i, route := range args.PrivateRoutes {
		routeTables = append(routeTables, route.RouteTableID)
		routes[i] = route.PrivateRoute
	}
	for i, m := range members {
		boot := Boot{
			PairName:        name,
			MemberName:      m.name,
			Region:          args.Region,
			VpcCidr:         args.VpcCidr,
			FloatingIP:      args.FloatingIP,
			SubnetPrefixLen: args.SubnetPrefixLen,
			SelfIP:          m.ip,
			PeerIP:          members[1-i].ip,
			StartsActive:    i == 0,
			VirtualRouterID: args.VirtualRouterID,
			SSHAllowedCidrs: args.SSHAllowedCidrs,
		}
		// Gzipped: the member's files are larger than the 16 KB EC2 takes raw; cloud-init unpacks them.
		userData := pulumi.All(m.eni.ID(), floating.AllocationId, routeTables).ApplyT(func(ids []any) (string, error) {
			boot.SelfENI = string(ids[0].(pulumi.ID))
			boot.AllocationID = ids[1].(string)
			boot.RouteTableIDs = ids[2].([]string)
			return compute.GzipUserData(UserData(boot))
		}).(pulumi.StringOutput)

		memberSettings.InstanceProfileName = profile.Name
		rolling := args.Rolling[i]
		// Each member has its own Elastic IP, its way out, active or standby: packages at first
		// boot, Session Manager, and the EC2 API calls of a takeover.
		machine, err := compute.NewNatMachine(ctx, m.name, compute.NatMachineArgs{
			Settings:        memberSettings,
			Interface:       m.eni,
			PrivateIP:       m.ip,
			UserDataBase64:  userData,
			InternetGateway: args.InternetGateway,
			// Its permission to take over exists before it boots.
			DependsOn: append([]pulumi.Resource{policy}, args.PublicRouting...),
			Options: func(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
				return memberOptions(memberSettings, rolling, extra...)
			},
			// The active member's primary interface holds the floating address; a refresh reads it
			// into the instance's secondary addresses.
			IgnoreChanges: []string{"secondaryPrivateIps"},
			Notify:        monitoring.Notify.TopicArn,
			Recover:       &compute.AlarmActions{Partition: partition.Partition, Region: args.Region},
		}, parent)
		if err != nil {
			return nil, err
		}
		m.eip, m.instance = machine.Eip, machine.Instance
		alarms = append(alarms, machine.AlarmArns...)
	}
	arns, err := compute.NewPairAlarms(ctx, name, monitoring.Notify.TopicArn, parent)
	if err != nil {
		return nil, err
	}
	alarms = append(alarms, arns...)

	// Turning pairs on in a deployed stack: the route was the NAT instance's child. The alias
	// keeps it the same resource (AWS refuses a second 0.0.0.0/0 in a table, so a new route could
	// not come before the old one goes); its target then moves when member a first becomes active.
	wasNatInstance := pulumi.URN(fmt.Sprintf("urn:pulumi:%s::%s::nat-instance:compute:NatInstance::%s", ctx.Stack(), ctx.Project(), name))
	// Member a at creation; after the first boot keepalived owns the target, so a refresh after a
	// failover plans nothing.
	if err := compute.NewDefaultRoutes(ctx, routes, members[0].eni.ID(), parent,
		pulumi.IgnoreChanges([]string{"networkInterfaceId"}), pulumi.Aliases([]pulumi.Alias{{ParentURN: wasNatInstance}})); err != nil {
		return nil, err
	}

	n.SecurityGroupID = sg.ID().ToStringOutput()
	n.InstanceID = members[0].instance.ID().ToStringOutput()
	n.PrivateIP = pulumi.String(args.FloatingIP).ToStringOutput()
	n.PublicIP = floating.PublicIp
	n.StartedActive = pulumi.String(members[0].name).ToStringOutput()
	ids, ips, publicIPs, amis := pulumi.StringArray{}, pulumi.StringArray{}, pulumi.StringArray{}, pulumi.StringArray{}
	for _, m := range members {
		ids = append(ids, m.instance.ID().ToStringOutput())
		ips = append(ips, pulumi.String(m.ip))
		publicIPs = append(publicIPs, m.eip.PublicIp)
		amis = append(amis, m.instance.Ami)
	}
	n.MemberInstanceIDs, n.MemberPrivateIPs, n.MemberPublicIPs = ids.ToStringArrayOutput(), ips.ToStringArrayOutput(), publicIPs.ToStringArrayOutput()
	n.MemberAmis = amis.ToStringArrayOutput()
	n.AlarmArns = pulumi.ToStringArrayOutput(alarms)
	n.monitored = compute.Monitored{Name: name, Pair: true, MemberNames: []string{members[0].name, members[1].name},
		InstanceIds: n.MemberInstanceIDs, PublicIP: n.PublicIP, AlarmArns: n.AlarmArns}
	if err := monitoring.Watch(ctx, []compute.Monitored{n.monitored}); err != nil {
		return nil, err
	}
	n.DashboardURL = monitoring.DashboardURL
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"securityGroupId":   n.SecurityGroupID,
		"instanceId":        n.InstanceID,
		"privateIp":         n.PrivateIP,
		"publicIp":          n.PublicIP,
		"memberInstanceIds": n.MemberInstanceIDs,
		"memberPrivateIps":  n.MemberPrivateIPs,
		"memberPublicIps":   n.MemberPublicIPs,
		"startedActive":     n.StartedActive,
		"alarmArns":         n.AlarmArns,
		"dashboardUrl":      n.DashboardURL,
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// Monitored is what a dashboard of several NATs shows of this pair (NewDashboard).
func (n *Pair) Monitored() compute.Monitored { return n.monitored }

// Endpoint is what a program needs of this pair: the NAT's addresses, the member that started
// active, and every member's image.
func (n *Pair) Endpoint() compute.NatEndpoint {
	e := compute.NatEndpoint{SecurityGroupID: n.SecurityGroupID, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, PublicIP: n.PublicIP}
	for i := range Members {
		e.Amis = append(e.Amis, n.MemberAmis.Index(pulumi.Int(i)))
	}
	return e
}

// newPairSecurityGroup is a NAT's security group plus what the members say to each other,
// allowed by group, never by address.
func newPairSecurityGroup(ctx *pulumi.Context, name string, args *Args, parent pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	inbound, outbound := compute.NatRules(args.VpcCidr, args.SSHAllowedCidrs)
	peers := []compute.Rule{
		{Description: "VRRP between the pair members (keepalived)", Protocol: vrrpProtocol, From: 0, To: 0, Self: true},
		{Description: "conntrackd state sync between the pair members", Protocol: "udp", From: SyncPort, To: SyncPort, Self: true},
	}
	sg, err := compute.NewSecurityGroup(ctx, name, args.VpcID,
		"NAT pair: forwards web, UDP and ICMP from the VPC to the internet; VRRP and state sync between its members",
		append(inbound, peers...), append(outbound, peers...), parent)
	if err != nil {
		return nil, fmt.Errorf("natpair: security group: %w", err)
	}
	return sg, nil
}
