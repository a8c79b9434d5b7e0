package main

import "testing"

// The untracked group passes only on the interfaces of a NAT pair's members.
func TestUntrackedGroupOnlyOnNat(t *testing.T) {
	all := func(protocol string) map[string]any {
		return map[string]any{"protocol": protocol, "fromPort": 0, "toPort": 65535, "cidrBlocks": []any{"0.0.0.0/0"}}
	}
	rules := []any{all("tcp"), all("udp")}
	untracked := node{typeSecurityGroup, "pair-untracked", map[string]any{"ingress": rules, "egress": rules}, nil}
	member := func(name string, groups ...string) node {
		n := forwarding(name, "pair")
		n.deps = map[string][]string{"subnetId": {"public"}, "securityGroups": groups}
		return n
	}
	a, b := member("nat-instance-a", "pair", "pair-untracked"), member("nat-instance-b", "pair", "pair-untracked")
	web := node{typeNetworkInterface, "web", map[string]any{}, map[string][]string{"securityGroups": {"pair-untracked"}}}
	server := node{typeInstance, "web", map[string]any{}, map[string][]string{"vpcSecurityGroupIds": {"pair-untracked"}}}
	runStackCases(t, "untracked-group-only-on-nat", []stackCase{
		{"on the pair's members", []node{subnet, pairGroup, untracked, a, b, toA}, ""},
		{"on the member that rolled, not yet on the other", []node{subnet, pairGroup, untracked, a, member("nat-instance-b", "pair"), toA}, ""},
		{"on a web server's interface", []node{subnet, pairGroup, untracked, a, b, toA, web}, "web, which is no NAT interface, carries it"},
		{"on an instance", []node{untracked, server}, "web, which is no NAT interface"},
		{"on a forwarding interface no route targets", []node{subnet, pairGroup, untracked, a}, "nat-instance-a, which is no NAT interface"},
		{"carried by nothing", []node{untracked}, ""},
	})
	// While one member rolls, the other is still the pair's standby.
	runStackCases(t, "source-dest-check-only-on-nat", []stackCase{
		{"members with different groups, sharing the VRRP one", []node{subnet, pairGroup, untracked, a, member("nat-instance-b", "pair"), toA}, ""},
	})
}
