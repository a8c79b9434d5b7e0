package compute

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Internet is the destination of the deliberate exception: egress to the internet, for the
// protocols the NAT forwards, never "all traffic".
const Internet = "0.0.0.0/0"

// Rule is one security group rule. Every rule carries a description (CKV_AWS_23).
type Rule struct {
	Description string
	Protocol    string // "tcp", "udp", "icmp" or an IP protocol number such as "112" (VRRP)
	From, To    int
	Cidrs       []string
	Groups      pulumi.StringArray // source/destination security group ids
	Self        bool               // the group itself: its members, whatever their address
}

// forwarded lists what a NAT instance forwards, as the lab does: web, all UDP and ICMP.
func forwarded(what string, cidrs ...string) []Rule {
	return []Rule{
		{Description: "HTTP " + what, Protocol: "tcp", From: 80, To: 80, Cidrs: cidrs},
		{Description: "HTTPS " + what, Protocol: "tcp", From: 443, To: 443, Cidrs: cidrs},
		{Description: "UDP (DNS, NTP, QUIC) " + what, Protocol: "udp", From: 0, To: 65535, Cidrs: cidrs},
		{Description: "ICMP (ping, path MTU) " + what, Protocol: "icmp", From: -1, To: -1, Cidrs: cidrs},
	}
}

// NatRules are a NAT's security group rules: forward from the VPC to the internet, SSH from the
// allowed admin networks, and SSH on into the VPC as a jump host.
func NatRules(vpcCidr string, sshAllowedCidrs []string) (inbound, outbound []Rule) {
	inbound = forwarded("from the VPC, to forward", vpcCidr)
	for _, cidr := range sshAllowedCidrs {
		inbound = append(inbound, Rule{Description: "SSH from allowed admin network " + cidr, Protocol: "tcp", From: 22, To: 22, Cidrs: []string{cidr}})
	}
	outbound = append(forwarded("to the internet: forwarded traffic and the NAT instance updates", Internet),
		Rule{Description: "SSH to instances in the VPC (jump host)", Protocol: "tcp", From: 22, To: 22, Cidrs: []string{vpcCidr}})
	return inbound, outbound
}

// NewSecurityGroup is a group of the lab: described, named by its Name tag, with these rules.
func NewSecurityGroup(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, description string, inbound, outbound []Rule, opts ...pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	return ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       vpcID,
		Description: pulumi.String(description),
		Ingress:     ingress(inbound),
		Egress:      egress(outbound),
		Tags:        pulumi.StringMap{"Name": pulumi.String(name)},
	}, opts...)
}

func ingress(rules []Rule) ec2.SecurityGroupIngressArray {
	out := make(ec2.SecurityGroupIngressArray, len(rules))
	for i, r := range rules {
		out[i] = r.args()
	}
	return out
}

func egress(rules []Rule) ec2.SecurityGroupEgressArray {
	out := make(ec2.SecurityGroupEgressArray, len(rules))
	for i, r := range rules {
		// Ingress and egress rules have the very same fields.
		out[i] = ec2.SecurityGroupEgressArgs(r.args())
	}
	return out
}

func (r Rule) args() ec2.SecurityGroupIngressArgs {
	args := ec2.SecurityGroupIngressArgs{
		Description: pulumi.String(r.Description),
		Protocol:    pulumi.String(r.Protocol),
		FromPort:    pulumi.Int(r.From),
		ToPort:      pulumi.Int(r.To),
	}
	if len(r.Cidrs) > 0 {
		args.CidrBlocks = pulumi.ToStringArray(r.Cidrs)
	}
	if len(r.Groups) > 0 {
		args.SecurityGroups = r.Groups
	}
	if r.Self {
		args.Self = pulumi.Bool(true)
	}
	return args
}
