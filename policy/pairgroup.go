package main

import "github.com/pulumi/pulumi/sdk/v3/go/property"

// untrackedPairIngress returns the indexes of a security group's ingress rules that are the NAT
// pair's exception to no-ingress-from-anywhere, or none. EC2 tracks connections per network
// interface, so a NAT pair lets TCP and UDP through untracked and its members filter statefully
// themselves (docs/nat-pairs.md, "Security groups and connection tracking"). The group is
// recognised by what the program sets, not by a name: TCP and UDP on all ports from 0.0.0.0/0
// and to 0.0.0.0/0 (both directions: what makes EC2 leave them untracked), VRRP (IP protocol
// 112) to and from the group itself both ways (a keepalived pair), and no other ingress from
// anywhere. Nothing wider is excused: another protocol, a port range, ::/0, or a group without
// the rest of the shape.
func untrackedPairIngress(group property.Map) map[int]bool {
	ingress, egress := values(group.Get("ingress")), values(group.Get("egress"))
	exempt := map[int]bool{}
	for i, r := range ingress {
		fromAnywhere := anywhere(sgRule{cidrs: append(values(field(r, "cidrBlocks")), values(field(r, "ipv6CidrBlocks"))...)})
		switch {
		case untrackedRule(r) != "":
			exempt[i] = true
		case len(fromAnywhere) > 0:
			return nil // any other rule from anywhere: no exception at all
		}
	}
	if !bothProtocols(ingress) || !bothProtocols(egress) || !hasVRRPToItself(ingress) || !hasVRRPToItself(egress) {
		return nil
	}
	return exempt
}

// untrackedRule names the protocol of a rule that allows TCP or UDP on every port from or to
// 0.0.0.0/0 and nothing else, or is "".
func untrackedRule(r property.Value) string {
	protocol, cidrs := field(r, "protocol"), values(field(r, "cidrBlocks"))
	if !protocol.IsString() || (protocol.AsString() != "tcp" && protocol.AsString() != "udp") ||
		!isNumber(field(r, "fromPort"), 0) || !isNumber(field(r, "toPort"), 65535) ||
		len(cidrs) != 1 || !cidrs[0].IsString() || cidrs[0].AsString() != "0.0.0.0/0" ||
		len(values(field(r, "ipv6CidrBlocks"))) > 0 || len(values(field(r, "securityGroups"))) > 0 || field(r, "self").IsBool() && field(r, "self").AsBool() {
		return ""
	}
	return protocol.AsString()
}

// bothProtocols: the rules leave both TCP and UDP untracked.
func bothProtocols(rules []property.Value) bool {
	seen := map[string]bool{}
	for _, r := range rules {
		seen[untrackedRule(r)] = true
	}
	return seen["tcp"] && seen["udp"]
}

func hasVRRPToItself(rules []property.Value) bool {
	for _, r := range rules {
		protocol, self := field(r, "protocol"), field(r, "self")
		if protocol.IsString() && protocol.AsString() == "112" && self.IsBool() && self.AsBool() {
			return true
		}
	}
	return false
}

func isNumber(v property.Value, n float64) bool { return v.IsNumber() && v.AsNumber() == n }
