package natpair

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
)

// EC2 tracks connections per network interface ("Amazon EC2 security group connection tracking",
// EC2 User Guide): a flow set up through one member is tracked on that member's interface only,
// so after a takeover the server's packets reach an interface that never saw the flow, and the
// pair's group, which lets in from the VPC only, drops them: a download, a server push, a long
// poll answered after the takeover would stall. The same page says when a flow is not tracked:
// TCP or UDP allowed from 0.0.0.0/0 with a rule in the other direction that allows 0.0.0.0/0 on
// all ports. The untracked group says exactly that, and each member enforces the pair's group
// itself, statefully, with the flows conntrackd brings over (nat-pair-setup). ICMP is always
// tracked. docs/nat-pairs.md, "Security groups and connection tracking"; the policy pack and the
// graph tests accept this group and nothing wider.
func untrackedRules() []compute.Rule {
	why := "anywhere, all ports, untracked: the members own firewall admits replies, forwarding from the VPC and SSH as configured only"
	return []compute.Rule{
		{Description: "TCP " + why, Protocol: "tcp", From: 0, To: 65535, Cidrs: []string{compute.Internet}},
		{Description: "UDP " + why, Protocol: "udp", From: 0, To: 65535, Cidrs: []string{compute.Internet}},
	}
}

// newUntrackedGroup is the second group on each member's interface: TCP and UDP from and to
// anywhere, so that EC2 tracks neither.
func newUntrackedGroup(ctx *pulumi.Context, name string, vpcID pulumi.StringInput, parent pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	sg, err := compute.NewSecurityGroup(ctx, name, vpcID,
		"NAT pair members: TCP and UDP untracked, so that flows survive a takeover; each member filters them statefully itself",
		untrackedRules(), untrackedRules(), parent)
	if err != nil {
		return nil, fmt.Errorf("natpair: untracked security group: %w", err)
	}
	return sg, nil
}

// memberInterfaceHeld are the member interface's fields the program leaves alone: the addresses
// (the floating one comes and goes) and, until the member rolls, its groups. A member keeps its
// boot files until it rolls (memberOptions), and a member booted before it had its own
// firewall must not get the untracked group: it would answer anything from anywhere. A new member
// gets both groups at creation.
func memberInterfaceHeld(rolling bool) []string {
	held := []string{"privateIps", "privateIpList", "privateIpsCount"}
	if !rolling {
		held = append(held, "securityGroups")
	}
	return held
}
