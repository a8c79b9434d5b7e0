// Package compute holds the lab's instances: the NAT instance with its network interface,
// Elastic IP and private routes, the private instances, and their shared instance profile.
package compute

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatInstanceArgs places a NAT instance in a VPC, whoever created it. Plain values shape the
// graph; inputs pass through. A nil AmiID means the current Amazon Linux 2023 AMI for the
// instance type's architecture.
type NatInstanceArgs struct {
	InstanceSettings
	VpcID    pulumi.StringInput
	VpcCidr  string
	SubnetID pulumi.StringInput
	// PrivateIP fixes the NAT's address in its subnet; empty lets AWS pick one.
	PrivateIP string
	// SSHAllowedCidrs may reach the NAT on TCP 22; empty means no SSH from outside the VPC.
	SSHAllowedCidrs []string
	// InternetGateway is what attaches the VPC's internet gateway: the Elastic IP is associated
	// after it (Gateway.NotAttached otherwise). Empty when the gateway is attached already.
	InternetGateway []pulumi.Resource
	// PublicRouting is the public subnet's default route to the internet gateway and its
	// route table association: the first boot installs packages through them. Empty when they
	// exist already.
	PublicRouting []pulumi.Resource
	// PrivateRoutes are the default routes to this NAT's network interface, one per private
	// route table it serves.
	PrivateRoutes []PrivateRoute
	// MonitoringArgs: whom the alarms tell, and whether the NAT has a dashboard of its own (the
	// lab passes its stack's topic and makes one dashboard for all its NATs).
	MonitoringArgs
}

// PrivateRoute is the default route of one private route table. Its name belongs to the
// table, not to the NAT: moving a table to another NAT then updates the route in place (AWS
// refuses a second 0.0.0.0/0 in a table, so a new route could not come before the old one goes).
type PrivateRoute struct {
	Name         string
	RouteTableID pulumi.StringInput
}

// NatInstance is an EC2 instance that forwards and masquerades the VPC's traffic to the
// internet through its Elastic IP.
type NatInstance struct {
	pulumi.ResourceState

	// Tagged, so that a component provider can serve these as the component's outputs.
	SecurityGroupID    pulumi.StringOutput `pulumi:"securityGroupId"`
	NetworkInterfaceID pulumi.StringOutput `pulumi:"networkInterfaceId"`
	InstanceID         pulumi.StringOutput `pulumi:"instanceId"`
	Ami                pulumi.StringOutput `pulumi:"ami"` // the image it runs, as recorded in the state
	PrivateIP          pulumi.StringOutput `pulumi:"privateIp"`
	PublicIP           pulumi.StringOutput `pulumi:"publicIp"`
	// AlarmArns are the NAT's alarms; DashboardURL its own dashboard's (MonitoringArgs.Dashboard),
	// "" without one.
	AlarmArns    pulumi.StringArrayOutput `pulumi:"alarmArns"`
	DashboardURL pulumi.StringOutput      `pulumi:"dashboardUrl"`

	monitored Monitored
}

// NewNatInstance creates the NAT's security group, network interface (source/dest check off),
// Elastic IP, instance and the private default routes.
func NewNatInstance(ctx *pulumi.Context, name string, args *NatInstanceArgs, opts ...pulumi.ResourceOption) (*NatInstance, error) {
	settings, err := args.InstanceSettings.WithImage(ctx)
	if err != nil {
		return nil, err
	}
	n := &NatInstance{}
	if err := ctx.RegisterComponentResource("nat-instance:compute:NatInstance", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	inbound, outbound := NatRules(args.VpcCidr, args.SSHAllowedCidrs)
	sg, err := NewSecurityGroup(ctx, name, args.VpcID, "NAT instance: forwards web, UDP and ICMP from the VPC to the internet", inbound, outbound, parent)
	if err != nil {
		return nil, fmt.Errorf("compute: NAT security group: %w", err)
	}

	// Source/dest check lives on the interface, not the instance: the instance attribute
	// conflicts with an attached interface (terraform-provider-aws#34123).
	eniArgs := &ec2.NetworkInterfaceArgs{
		Description:     pulumi.String(name + " primary interface (source/dest check off to forward)"),
		SubnetId:        args.SubnetID,
		SecurityGroups:  pulumi.StringArray{sg.ID()},
		SourceDestCheck: pulumi.Bool(false),
		Tags:            pulumi.StringMap{"Name": pulumi.String(name)},
	}
	if args.PrivateIP != "" {
		eniArgs.PrivateIps = pulumi.StringArray{pulumi.String(args.PrivateIP)}
	}
	eni, err := ec2.NewNetworkInterface(ctx, name, eniArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("compute: NAT network interface %s: %w", args.PrivateIP, err)
	}

	// Whom the alarms tell, and the NAT's own dashboard if asked for.
	monitoring, err := NewMonitoring(ctx, name, args.MonitoringArgs, parent)
	if err != nil {
		return nil, err
	}
	machine, err := NewNatMachine(ctx, name, NatMachineArgs{
		Settings:        settings,
		Interface:       eni,
		UserData:        pulumi.String(NatUserData(args.VpcCidr)),
		InternetGateway: args.InternetGateway,
		DependsOn:       args.PublicRouting,
		Options:         args.InstanceOptions,
		Notify:          monitoring.Notify.TopicArn,
	}, parent)
	if err != nil {
		return nil, err
	}
	instance, eip := machine.Instance, machine.Eip
	if err := NewDefaultRoutes(ctx, args.PrivateRoutes, eni.ID(), parent); err != nil {
		return nil, err
	}

	n.SecurityGroupID = sg.ID().ToStringOutput()
	n.NetworkInterfaceID = eni.ID().ToStringOutput()
	n.InstanceID = instance.ID().ToStringOutput()
	n.Ami = instance.Ami
	n.PrivateIP = eni.PrivateIp
	n.PublicIP = eip.PublicIp
	n.AlarmArns = pulumi.ToStringArrayOutput(machine.AlarmArns)
	n.monitored = Monitored{Name: name, MemberNames: []string{name}, PublicIP: eip.PublicIp, AlarmArns: n.AlarmArns,
		InstanceIds: pulumi.ToStringArrayOutput([]pulumi.StringOutput{n.InstanceID})}
	if err := monitoring.Watch(ctx, []Monitored{n.monitored}); err != nil {
		return nil, err
	}
	n.DashboardURL = monitoring.DashboardURL
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"securityGroupId":    n.SecurityGroupID,
		"networkInterfaceId": n.NetworkInterfaceID,
		"instanceId":         n.InstanceID,
		"privateIp":          n.PrivateIP,
		"publicIp":           n.PublicIP,
		"alarmArns":          n.AlarmArns,
		"dashboardUrl":       n.DashboardURL,
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// Monitored is what a dashboard of several NATs shows of this one (NewDashboard).
func (n *NatInstance) Monitored() Monitored { return n.monitored }

// NatEndpoint is what a program needs of a NAT, a single instance or a pair: its security group
// (private instances accept the jump host's SSH from it), the instance users reach (a pair's
// member that started active), the NAT's private and public addresses, and the images its
// instances run, as recorded.
type NatEndpoint struct {
	SecurityGroupID, InstanceID, PrivateIP, PublicIP pulumi.StringOutput
	Amis                                             []pulumi.StringOutput
}

// Endpoint is what a program needs of this NAT.
func (n *NatInstance) Endpoint() NatEndpoint {
	return NatEndpoint{n.SecurityGroupID, n.InstanceID, n.PrivateIP, n.PublicIP, []pulumi.StringOutput{n.Ami}}
}
