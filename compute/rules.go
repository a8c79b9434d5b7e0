package compute

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Internet is the destination of the deliberate exception: egress to the internet, for the
// protocols the NAT forwards, never "all traffic".
const Internet = "0.0.0.0/0"

// rule is one security group rule. Every rule carries a description (CKV_AWS_23).
type rule struct {
	description string
	protocol    string // "tcp", "udp", "icmp" or an IP protocol number such as "112" (VRRP)
	from, to    int
	cidrs       []string
	groups      pulumi.StringArray // source/destination security group ids
	self        bool               // the group itself: its members, whatever their address
}

// forwarded lists what a NAT instance forwards, as the lab does: web, all UDP and ICMP.
func forwarded(what string, cidrs ...string) []rule {
	return []rule{
		{description: "HTTP " + what, protocol: "tcp", from: 80, to: 80, cidrs: cidrs},
		{description: "HTTPS " + what, protocol: "tcp", from: 443, to: 443, cidrs: cidrs},
		{description: "UDP (DNS, NTP, QUIC) " + what, protocol: "udp", from: 0, to: 65535, cidrs: cidrs},
		{description: "ICMP (ping, path MTU) " + what, protocol: "icmp", from: -1, to: -1, cidrs: cidrs},
	}
}

// natRules are a NAT's security group rules: forward from the VPC to the internet, SSH from the
// allowed admin networks, and SSH on into the VPC as a jump host.
func natRules(vpcCidr string, sshAllowedCidrs []string) (inbound, outbound []rule) {
	inbound = forwarded("from the VPC, to forward", vpcCidr)
	for _, cidr := range sshAllowedCidrs {
		inbound = append(inbound, rule{description: "SSH from allowed admin network " + cidr, protocol: "tcp", from: 22, to: 22, cidrs: []string{cidr}})
	}
	outbound = append(forwarded("to the internet: forwarded traffic and the NAT instance updates", Internet),
		rule{description: "SSH to instances in the VPC (jump host)", protocol: "tcp", from: 22, to: 22, cidrs: []string{vpcCidr}})
	return inbound, outbound
}

func ingress(rules []rule) ec2.SecurityGroupIngressArray {
	out := make(ec2.SecurityGroupIngressArray, len(rules))
	for i, r := range rules {
		out[i] = r.args()
	}
	return out
}

func egress(rules []rule) ec2.SecurityGroupEgressArray {
	out := make(ec2.SecurityGroupEgressArray, len(rules))
	for i, r := range rules {
		// Ingress and egress rules have the very same fields.
		out[i] = ec2.SecurityGroupEgressArgs(r.args())
	}
	return out
}

func (r rule) args() ec2.SecurityGroupIngressArgs {
	args := ec2.SecurityGroupIngressArgs{
		Description: pulumi.String(r.description),
		Protocol:    pulumi.String(r.protocol),
		FromPort:    pulumi.Int(r.from),
		ToPort:      pulumi.Int(r.to),
	}
	if len(r.cidrs) > 0 {
		args.CidrBlocks = pulumi.ToStringArray(r.cidrs)
	}
	if len(r.groups) > 0 {
		args.SecurityGroups = r.groups
	}
	if r.self {
		args.Self = pulumi.Bool(true)
	}
	return args
}
