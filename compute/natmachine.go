package compute

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatMachineArgs is one machine that forwards for a NAT, a single NAT instance or a pair member,
// given its network interface: what differs between the two kinds.
type NatMachineArgs struct {
	// Settings has the image and the instance profile.
	Settings  InstanceSettings
	Interface *ec2.NetworkInterface
	// PrivateIP is the interface's address the machine's Elastic IP goes to; empty for its
	// primary address.
	PrivateIP string
	// UserData is the boot configuration as text; UserDataBase64 packed (GzipUserData). One of them.
	UserData, UserDataBase64 pulumi.StringPtrInput
	// InternetGateway is what attaches the VPC's internet gateway (see NatInstanceArgs).
	InternetGateway []pulumi.Resource
	// DependsOn is what must exist before the machine boots, besides its Elastic IP's association.
	DependsOn []pulumi.Resource
	// Options are the instance's options besides its dependencies: InstanceOptions for a single
	// NAT, a pair member's own rules otherwise.
	Options func(extra ...pulumi.ResourceOption) []pulumi.ResourceOption
	// IgnoreChanges are the instance's properties that something other than Pulumi sets.
	IgnoreChanges []string
	// Notify is whom the alarms tell (see watched); Recover, when set, adds the alarms that bring
	// a failed machine back, their EC2 actions named in its partition and region.
	Notify  pulumi.StringInput
	Recover *AlarmActions
}

// AlarmActions names where the EC2 actions of alarms run.
type AlarmActions struct{ Partition, Region string }

// NatMachine is what NewNatMachine made.
type NatMachine struct {
	Eip       *ec2.Eip
	Instance  *ec2.Instance
	AlarmArns []pulumi.StringOutput
}

// NewNatMachine makes, under name, a NAT machine's Elastic IP and its association with the
// interface (after the internet gateway is attached: Gateway.NotAttached otherwise), the
// instance on that interface, and its alarms.
func NewNatMachine(ctx *pulumi.Context, name string, args NatMachineArgs, parent pulumi.ResourceOption) (*NatMachine, error) {
	eip, err := ec2.NewEip(ctx, name, &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("compute: NAT Elastic IP %s: %w", name, err)
	}
	associationArgs := &ec2.EipAssociationArgs{
		AllocationId:       eip.AllocationId,
		NetworkInterfaceId: args.Interface.ID(),
	}
	if args.PrivateIP != "" {
		associationArgs.PrivateIpAddress = pulumi.String(args.PrivateIP)
	}
	association, err := ec2.NewEipAssociation(ctx, name, associationArgs, parent, pulumi.DependsOn(args.InternetGateway))
	if err != nil {
		return nil, fmt.Errorf("compute: NAT Elastic IP association %s: %w", name, err)
	}

	instanceArgs := HardenedInstanceArgs(args.Settings, name)
	instanceArgs.NetworkInterfaces = ec2.InstanceNetworkInterfaceArray{ec2.InstanceNetworkInterfaceArgs{
		DeviceIndex:        pulumi.Int(0),
		NetworkInterfaceId: args.Interface.ID(),
	}}
	instanceArgs.UserData, instanceArgs.UserDataBase64 = args.UserData, args.UserDataBase64
	// cloud-init runs user data once: a changed boot configuration needs a new instance.
	instanceArgs.UserDataReplaceOnChange = pulumi.Bool(true)
	opts := []pulumi.ResourceOption{parent,
		// The Elastic IP and whatever else the boot needs (the public subnet's way to the
		// internet gateway, a role's permissions) are in place before boot, so a package
		// install at boot has a way out.
		pulumi.DependsOn(append([]pulumi.Resource{association}, args.DependsOn...)),
		// The interface can serve one instance at a time: the old one must go first.
		pulumi.DeleteBeforeReplace(true)}
	if len(args.IgnoreChanges) > 0 {
		opts = append(opts, pulumi.IgnoreChanges(args.IgnoreChanges))
	}
	instance, err := ec2.NewInstance(ctx, name, instanceArgs, args.Options(opts...)...)
	if err != nil {
		return nil, fmt.Errorf("compute: NAT instance %s: %w", name, err)
	}

	w, alarms := watched{name: name, instanceID: instance.ID(), notify: args.Notify}, capacityAlarms
	if args.Recover != nil {
		w.partition, w.region = args.Recover.Partition, args.Recover.Region
		alarms = slices.Concat(capacityAlarms, memberAlarms)
	}
	arns, err := newAlarms(ctx, w, alarms, parent)
	if err != nil {
		return nil, err
	}
	return &NatMachine{Eip: eip, Instance: instance, AlarmArns: arns}, nil
}

// NewDefaultRoutes points each private route table's default route at a NAT's interface.
func NewDefaultRoutes(ctx *pulumi.Context, routes []PrivateRoute, eni pulumi.IDOutput, opts ...pulumi.ResourceOption) error {
	for _, route := range routes {
		if _, err := ec2.NewRoute(ctx, route.Name, &ec2.RouteArgs{
			RouteTableId:         route.RouteTableID,
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NetworkInterfaceId:   eni,
		}, opts...); err != nil {
			return fmt.Errorf("compute: private default route %s: %w", route.Name, err)
		}
	}
	return nil
}
