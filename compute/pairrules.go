package compute

// pairRules are a NAT pair's security group rules. EC2 tracks connections per network interface
// ("Amazon EC2 security group connection tracking", EC2 User Guide): a flow set up through one
// member is tracked on that member's interface only, so after a takeover the server's packets reach
// an interface that never saw the flow, and a group that lets in from the VPC only drops them. A
// download, a server push or a long poll answered after the takeover would stall. The same page
// says when a flow is not tracked: TCP or UDP allowed from 0.0.0.0/0 with a rule in the other
// direction that allows 0.0.0.0/0 on all ports. So TCP and UDP are allowed both ways, untracked,
// and each member enforces the NAT's policy itself, statefully, with the flows conntrackd brings
// over (nat-pair-setup: what the NAT group allowed, replies, and nothing else). ICMP is always
// tracked, and stays as the NAT group has it. docs/nat-pairs.md, "Security groups and connection
// tracking"; the policy pack and the graph tests accept exactly these two rules each way.
func pairRules(vpcCidr string) (inbound, outbound []rule) {
	untracked := func(direction string) []rule {
		why := direction + " anywhere, all ports, untracked: the members own firewall admits only replies, forwarding from the VPC and SSH as configured"
		return []rule{
			{description: "TCP " + why, protocol: "tcp", from: 0, to: 65535, cidrs: []string{Internet}},
			{description: "UDP " + why, protocol: "udp", from: 0, to: 65535, cidrs: []string{Internet}},
		}
	}
	vrrp := rule{description: "VRRP between the pair members (keepalived)", protocol: vrrpProtocol, from: 0, to: 0, self: true}
	inbound = append(untracked("from"),
		rule{description: "ICMP (ping, path MTU) from the VPC, to forward", protocol: "icmp", from: -1, to: -1, cidrs: []string{vpcCidr}}, vrrp)
	outbound = append(untracked("to"),
		rule{description: "ICMP (ping, path MTU) to the internet: forwarded traffic and the members own", protocol: "icmp", from: -1, to: -1, cidrs: []string{Internet}}, vrrp)
	return inbound, outbound
}
