package main

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// The one exception to no-ingress-from-anywhere: a NAT pair's untracked group. EC2 tracks
// connections per network interface, so a NAT pair's members carry a group that leaves TCP and
// UDP untracked, and filter statefully themselves (docs/nat-pairs.md, "Security groups and
// connection tracking"). It is recognised by what the program sets, not by a name: its shape
// (untrackedGroup, judged on the group) and its use (untrackedOnlyOnNat, judged on the stack:
// only NAT interfaces carry it).

// untrackedGroup reports whether a security group has the untracked group's shape: TCP and UDP on
// all ports from exactly 0.0.0.0/0 and to exactly 0.0.0.0/0 (both directions: what makes EC2
// leave them untracked), and nothing else. Anything wider or other (another protocol, a port
// range, ::/0, a rule more) is no exception.
func untrackedGroup(group property.Map) bool {
	for _, direction := range []string{"ingress", "egress"} {
		rules := values(group.Get(direction))
		if len(rules) != 2 || untrackedRule(rules[0]) == "" || untrackedRule(rules[1]) == "" || untrackedRule(rules[0]) == untrackedRule(rules[1]) {
			return false
		}
	}
	return true
}

// untrackedRule names the protocol of a rule that allows TCP or UDP on every port from or to
// 0.0.0.0/0 and nothing else, or is "".
func untrackedRule(r property.Value) string {
	protocol, cidrs := str(field(r, "protocol")), values(field(r, "cidrBlocks"))
	if (protocol != "tcp" && protocol != "udp") || !isNumber(field(r, "fromPort"), 0) || !isNumber(field(r, "toPort"), 65535) ||
		len(cidrs) != 1 || str(cidrs[0]) != "0.0.0.0/0" || len(values(field(r, "ipv6CidrBlocks"))) > 0 ||
		len(values(field(r, "securityGroups"))) > 0 || isTrue(field(r, "self")) {
		return ""
	}
	return protocol
}

func isNumber(v property.Value, n float64) bool { return v.IsNumber() && v.AsNumber() == n }

// untrackedOnlyOnNat wants a group of the untracked shape on NAT interfaces only (as
// source-dest-check-only-on-nat knows them): on anything else it would let the internet in.
func untrackedOnlyOnNat(g *stackGraph, m policyx.PolicyManager) {
	nats := natInterfaces(g)
	for _, sg := range g.ofType(typeSecurityGroup) {
		if !untrackedGroup(sg.Properties) {
			continue
		}
		for _, r := range append(g.ofType(typeNetworkInterface), append(g.ofType(typeInstance), g.ofType(typeLaunchTemplate)...)...) {
			uses := slices.Contains(g.refs(r, "securityGroups", typeSecurityGroup), sg.URN) ||
				slices.Contains(g.refs(r, "vpcSecurityGroupIds", typeSecurityGroup), sg.URN)
			if uses && !nats[r.URN] {
				m.ReportViolation(fmt.Sprintf("%s lets TCP and UDP in from anywhere, untracked, and %s, which is no NAT interface, carries it", sg.Name, r.Name), "")
			}
		}
	}
}
