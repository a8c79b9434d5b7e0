package main

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"nat-instance/compute"
	"nat-instance/settings"
)

// DefaultInstanceType is the lab's NAT instance type: the smallest Graviton.
const DefaultInstanceType = "t4g.nano"

// NatInstanceArgs are the component's inputs: a VPC made elsewhere, given by ids. Plain strings
// shape what is built (addresses in rules and the boot script); inputs pass through.
type NatInstanceArgs struct {
	VpcID                pulumi.StringInput      `pulumi:"vpcId"`
	VpcCidr              string                  `pulumi:"vpcCidr"`
	PublicSubnetID       pulumi.StringInput      `pulumi:"publicSubnetId"`
	PrivateRouteTableIDs pulumi.StringArrayInput `pulumi:"privateRouteTableIds"`
	PrivateIP            string                  `pulumi:"privateIp,optional"`
	InstanceType         string                  `pulumi:"instanceType,optional"`
	Ami                  pulumi.StringInput      `pulumi:"ami,optional"`
	SSHAllowedCidrs      []string                `pulumi:"sshAllowedCidrs,optional"`
	KeyName              string                  `pulumi:"keyName,optional"`
	InstanceProfileName  pulumi.StringInput      `pulumi:"instanceProfileName,optional"`
	InternetGatewayID    pulumi.StringInput      `pulumi:"internetGatewayId,optional"`
	PublicRoutingIDs     pulumi.StringArrayInput `pulumi:"publicRoutingIds,optional"`
	AlarmTopicArn        pulumi.StringInput      `pulumi:"alarmTopicArn,optional"`
	AlarmEmail           string                  `pulumi:"alarmEmail,optional"`
	AlarmTopicKmsKeyID   string                  `pulumi:"alarmTopicKmsKeyId,optional"`
	Dashboard            bool                    `pulumi:"dashboard,optional"`
}

// Annotate describes every input for the generated SDKs.
func (a *NatInstanceArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.VpcID, "Id of the VPC the NAT instance serves.")
	an.Describe(&a.VpcCidr, vpcCidrDescription)
	an.Describe(&a.PublicSubnetID, "Id of the public subnet (its route table sends 0.0.0.0/0 to an internet gateway) "+
		"that holds the NAT instance.")
	an.Describe(&a.PrivateRouteTableIDs, "Ids of the private route tables whose default route (0.0.0.0/0) should go "+
		"to the NAT. Each must have no default route yet. While the ids are unknown (a preview before the route "+
		"tables exist) the routes are not previewed; they are created by the update.")
	an.Describe(&a.PrivateIP, "Fixed private IPv4 address of the NAT instance, inside the public subnet and the VPC. "+
		"Unset lets AWS pick one.")
	an.Describe(&a.InstanceType, "EC2 instance type of the NAT. The AMI's architecture follows it "+
		"(t4g.nano gets arm64, t3.micro x86_64).")
	an.SetDefault(&a.InstanceType, DefaultInstanceType)
	an.Describe(&a.Ami, "AMI id for the NAT instance; a change of it replaces the instance. Unset looks up the current Amazon Linux 2023 AMI for the "+
		"instance type's architecture (public SSM parameter), kept from then on.")
	an.Describe(&a.SSHAllowedCidrs, sshAllowedCidrsDescription("the NAT"))
	an.Describe(&a.KeyName, keyNameDescription)
	an.Describe(&a.InstanceProfileName, "Name of an instance profile for the NAT instance, e.g. one that allows "+
		"Session Manager. Unset for none.")
	an.Describe(&a.InternetGatewayID, internetGatewayIDDescription("the NAT's Elastic IP is"))
	an.Describe(&a.PublicRoutingIDs, publicRoutingIDsDescription("the instance starts"))
	describeMonitoring(an, &a.AlarmTopicArn, &a.AlarmEmail, &a.AlarmTopicKmsKeyID, &a.Dashboard)
}

// Descriptions of the inputs both components take.
const (
	vpcCidrDescription = "IPv4 CIDR of that VPC, e.g. 10.0.0.0/16. The NAT forwards and masquerades traffic " +
		"from this range only, and its security group admits HTTP, HTTPS, UDP and ICMP from it."
	keyNameDescription = "Name of an existing EC2 key pair for SSH. Unset for none."
)

func sshAllowedCidrsDescription(who string) string {
	return "IPv4 networks (/8 or narrower) that may reach " + who + " on TCP 22. Empty: no SSH from outside the VPC."
}

func internetGatewayIDDescription(associated string) string {
	return "Id of the VPC's internet gateway, as an output of the resource that attaches it: " + associated +
		" associated only after that resource exists (AWS refuses it before). Unset when the gateway is attached already."
}

func publicRoutingIDsDescription(starts string) string {
	return "Ids of what gives the public subnet its way to the internet (its route to the internet gateway, its " +
		"route table association), as outputs of those resources: " + starts + " only after them, because a " +
		"first boot may install packages. Unset when they exist already."
}

// NatInstance is the component with its outputs: the compute package's component, served as
// it is, so that the package and the Go program build the very same resources.
type NatInstance compute.NatInstance

// Annotate describes every output and keeps the Go program's token.
func (n *NatInstance) Annotate(an infer.Annotator) {
	an.SetToken("compute", "NatInstance")
	an.Describe(n, "A NAT instance in a VPC you already have: security group, network interface with "+
		"source/dest check off, Elastic IP, a hardened EC2 instance (IMDSv2, encrypted root volume) whose "+
		"boot script forwards and masquerades the VPC's traffic, and the private route tables' default "+
		"routes to it.")
	an.Describe(&n.SecurityGroupID, "Id of the NAT's security group (allow SSH from it to reach private "+
		"instances through the NAT as a jump host).")
	an.Describe(&n.NetworkInterfaceID, "Id of the NAT's network interface, the target of the private default routes.")
	an.Describe(&n.InstanceID, "Id of the NAT's EC2 instance.")
	an.Describe(&n.Ami, "AMI id the NAT instance runs.")
	an.Describe(&n.PrivateIP, "Private IPv4 address of the NAT.")
	an.Describe(&n.PublicIP, "Public IPv4 address (Elastic IP) that the private subnets' traffic leaves with.")
	an.Describe(&n.AlarmArns, alarmArnsDescription)
	an.Describe(&n.DashboardURL, dashboardURLDescription)
}

// NewNatInstance checks the inputs, then builds the NAT with compute.NewNatInstance.
func NewNatInstance(ctx *pulumi.Context, name string, args NatInstanceArgs, opts ...pulumi.ResourceOption) (*NatInstance, error) {
	if args.InstanceType == "" {
		args.InstanceType = DefaultInstanceType
	}
	monitoring := monitoringInputs{args.AlarmTopicArn, args.AlarmEmail, args.AlarmTopicKmsKeyID, args.Dashboard}
	if err := args.check(ctx, monitoring); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w, err := wire(ctx, name, args.InternetGatewayID, args.PublicRoutingIDs, args.PrivateRouteTableIDs)
	if err != nil {
		return nil, err
	}
	nat, err := compute.NewNatInstance(ctx, name, &compute.NatInstanceArgs{
		InstanceSettings: compute.InstanceSettings{
			InstanceType:        args.InstanceType,
			AmiID:               args.Ami,
			AmiPinned:           args.Ami != nil,
			InstanceProfileName: args.InstanceProfileName,
			KeyName:             args.KeyName,
		},
		VpcID:           args.VpcID,
		VpcCidr:         args.VpcCidr,
		SubnetID:        args.PublicSubnetID,
		PrivateIP:       args.PrivateIP,
		SSHAllowedCidrs: args.SSHAllowedCidrs,
		InternetGateway: w.gateway,
		PublicRouting:   w.publicRouting,
		PrivateRoutes:   w.routes,
		MonitoringArgs:  monitoring.args(),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return (*NatInstance)(nat), nil
}

// check reports every bad input at once, naming the input, its value and what is allowed,
// before any resource exists.
func (a NatInstanceArgs) check(ctx *pulumi.Context, monitoring monitoringInputs) error {
	var p problems
	vpc := p.checkShared(a.VpcCidr, a.InstanceType, a.KeyName, a.SSHAllowedCidrs)
	if err := monitoring.check(ctx, &p); err != nil {
		return err
	}
	if a.PrivateIP != "" {
		ip, err := netip.ParseAddr(a.PrivateIP)
		switch {
		case err != nil || !ip.Is4():
			p.bad("privateIp", a.PrivateIP, "must be an IPv4 address such as 10.0.1.100, or unset")
		case vpc.IsValid() && !vpc.Contains(ip):
			p.bad("privateIp", a.PrivateIP, "must lie inside vpcCidr "+vpc.String())
		}
	}
	return errors.Join(p...)
}

// problems collects what is wrong with a component's inputs.
type problems []error

func (p *problems) bad(key, value, want string) {
	*p = append(*p, fmt.Errorf("%s = %q: %s", key, value, want))
}

// checkShared checks the inputs both components take and returns the VPC's CIDR.
func (p *problems) checkShared(vpcCidr, instanceType, keyName string, sshAllowedCidrs []string) netip.Prefix {
	vpc, want := settings.ParsePrefix(vpcCidr, 16, 28)
	if want != "" {
		p.bad("vpcCidr", vpcCidr, want+" (AWS allows /16 to /28)")
	}
	if want := settings.CheckInstanceType(instanceType); want != "" {
		p.bad("instanceType", instanceType, want)
	}
	if want := settings.CheckKeyName(keyName); want != "" {
		p.bad("keyName", keyName, want)
	}
	for _, cidr := range sshAllowedCidrs {
		// /1 to /7 would open SSH to a large part of the internet in a few rules.
		if _, want := settings.ParsePrefix(cidr, 8, 32); want != "" {
			p.bad("sshAllowedCidrs", cidr, want)
		}
	}
	return vpc
}

// wiring is how a component meets a VPC given by ids: what it waits for, the routes it adds.
type wiring struct {
	gateway, publicRouting []pulumi.Resource
	routes                 []compute.PrivateRoute
}

// wire reads the wiring off the inputs.
func wire(ctx *pulumi.Context, name string, internetGatewayID pulumi.StringInput, publicRoutingIDs, privateRouteTableIDs pulumi.StringArrayInput) (wiring, error) {
	var w wiring
	var err error
	if w.gateway, err = dependencies(ctx, internetGatewayID); err != nil {
		return w, fmt.Errorf("%s: internetGatewayId: %w", name, err)
	}
	if w.publicRouting, err = dependencies(ctx, publicRoutingIDs); err != nil {
		return w, fmt.Errorf("%s: publicRoutingIds: %w", name, err)
	}
	if w.routes, err = privateRoutes(ctx, name, privateRouteTableIDs); err != nil {
		return w, fmt.Errorf("%s: privateRouteTableIds: %w", name, err)
	}
	return w, nil
}

// dependencies returns the resources an input's value comes from, for DependsOn. Construct
// receives inputs resolved (or unknown, in a preview), so awaiting returns at once.
func dependencies(ctx *pulumi.Context, input pulumi.Input) ([]pulumi.Resource, error) {
	if input == nil {
		return nil, nil
	}
	result, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(input))
	return result.Dependencies, err
}

// privateRoutes names one default route per private route table, after the component. Their
// count must be known to register them: when the ids are unknown (a preview before the tables
// exist), there are none to show yet.
func privateRoutes(ctx *pulumi.Context, name string, ids pulumi.StringArrayInput) ([]compute.PrivateRoute, error) {
	if ids == nil {
		return nil, nil
	}
	result, err := internals.UnsafeAwaitOutput(ctx.Context(), ids.ToStringArrayOutput())
	if err != nil || !result.Known {
		return nil, err
	}
	tables, _ := result.Value.([]string)
	routes := make([]compute.PrivateRoute, len(tables))
	for i := range tables {
		routes[i] = compute.PrivateRoute{
			Name: fmt.Sprintf("%s-route-%d", name, i+1),
			// Indexing the input keeps its dependencies on the tables.
			RouteTableID: ids.ToStringArrayOutput().Index(pulumi.Int(i)),
		}
	}
	return routes, nil
}
