package compute

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PrivateInstancesArgs places instances in private subnets, one per address.
type PrivateInstancesArgs struct {
	InstanceSettings
	VpcID     pulumi.StringInput
	VpcCidr   string
	Instances []PrivateInstanceArgs
	// NatSecurityGroupIDs are the only sources allowed to SSH in (the NATs as jump hosts).
	NatSecurityGroupIDs pulumi.StringArray
}

// PrivateInstanceArgs is one private instance: its subnet and fixed address.
type PrivateInstanceArgs struct {
	SubnetID  pulumi.StringInput
	PrivateIP string
}

// PrivateInstances are instances without public addresses that reach the internet only
// through the NAT instance.
type PrivateInstances struct {
	pulumi.ResourceState

	SecurityGroupID pulumi.IDOutput
	InstanceIDs     pulumi.StringArray
	PrivateIPs      pulumi.StringArray
	Amis            []pulumi.StringOutput // the images they run, as recorded in the state
}

// PrivateInstanceName names a private instance by its address (10.40.2.101 gives
// "private-ec2-10-40-2-101"): removing or reordering addresses then leaves every other
// instance as it is, where names by position would move an instance onto an address that
// another one still holds until the end of the update (pulumi/pulumi#9979).
func PrivateInstanceName(prefix, ip string) string {
	return prefix + "-" + strings.ReplaceAll(ip, ".", "-")
}

// NewPrivateInstances creates the private security group and the instances. They do not wait
// for the NAT instance: nothing at their boot needs the internet.
func NewPrivateInstances(ctx *pulumi.Context, name string, args *PrivateInstancesArgs, opts ...pulumi.ResourceOption) (*PrivateInstances, error) {
	p := &PrivateInstances{InstanceIDs: pulumi.StringArray{}, PrivateIPs: pulumi.StringArray{}}
	if err := ctx.RegisterComponentResource("nat-instance:compute:PrivateInstances", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)

	inbound := []Rule{
		{Description: "SSH from the NAT instance (jump host)", Protocol: "tcp", From: 22, To: 22, Groups: args.NatSecurityGroupIDs},
		{Description: "ICMP (ping) from the VPC", Protocol: "icmp", From: -1, To: -1, Cidrs: []string{args.VpcCidr}},
	}
	sg, err := NewSecurityGroup(ctx, name, args.VpcID, "Private instances: SSH only from the NAT instance, out to the internet through it",
		inbound, forwarded("to the internet through the NAT instance", Internet), parent)
	if err != nil {
		return nil, fmt.Errorf("compute: private security group: %w", err)
	}
	p.SecurityGroupID = sg.ID()

	for i, spec := range args.Instances {
		instanceName := PrivateInstanceName(name, spec.PrivateIP)
		instanceArgs := HardenedInstanceArgs(args.InstanceSettings, instanceName)
		instanceArgs.SubnetId = spec.SubnetID
		instanceArgs.PrivateIp = pulumi.String(spec.PrivateIP)
		instanceArgs.VpcSecurityGroupIds = pulumi.StringArray{sg.ID()}
		instance, err := ec2.NewInstance(ctx, instanceName, instanceArgs, args.InstanceOptions(parent,
			// A fixed address can be held by one instance at a time.
			pulumi.DeleteBeforeReplace(true),
			// Stacks made before instances were named by address know them by position.
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(fmt.Sprintf("%s-%d", name, i+1))}}))...)
		if err != nil {
			return nil, fmt.Errorf("compute: private instance %s: %w", spec.PrivateIP, err)
		}
		p.InstanceIDs = append(p.InstanceIDs, instance.ID().ToStringOutput())
		p.PrivateIPs = append(p.PrivateIPs, instance.PrivateIp)
		p.Amis = append(p.Amis, instance.Ami)
	}

	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"securityGroupId": p.SecurityGroupID,
		"instanceIds":     p.InstanceIDs,
		"privateIps":      p.PrivateIPs,
	}); err != nil {
		return nil, err
	}
	return p, nil
}
