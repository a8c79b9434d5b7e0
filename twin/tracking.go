package twin

import (
	"fmt"
	"slices"
)

// untracked renders, as nft notrack rules for an interface's prerouting, the flows EC2 does not
// track on it. "Amazon EC2 security group connection tracking" (EC2 User Guide,
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html),
// "Untracked connections": if a rule permits TCP or UDP flows for all traffic (0.0.0.0/0) and a
// rule in the other direction permits all response traffic (0.0.0.0/0) for all ports
// (0-65535), that flow is not tracked: its responses pass on the rule that permits them, not on
// tracking information. The guide's example: inbound TCP 80 from ::/0 with outbound all
// traffic to ::/0 leaves HTTP untracked. ICMP is always tracked, and so is every other protocol
// (by address and protocol number). ingress and egress are the rules of all the interface's
// groups: the union is what EC2 evaluates.
func untracked(ingress, egress []Rule) []string {
	var rules []string
	for _, proto := range []string{"tcp", "udp"} {
		inbound, outbound := fromAnywhere(ingress, proto), fromAnywhere(egress, proto)
		allIn, allOut := slices.Contains(inbound, allPorts), slices.Contains(outbound, allPorts)
		switch {
		case allIn && allOut:
			rules = append(rules, "meta l4proto "+proto+" notrack")
		case allOut:
			// Flows opened from anywhere to these ports, and their responses.
			for _, ports := range inbound {
				rules = append(rules, fmt.Sprintf("iifname %q %s dport %s notrack", eniRouterPort, proto, ports),
					fmt.Sprintf("iifname %q %s sport %s notrack", eniInstancePort, proto, ports))
			}
		case allIn:
			// Flows the instance opens to these ports anywhere, and their responses.
			for _, ports := range outbound {
				rules = append(rules, fmt.Sprintf("iifname %q %s dport %s notrack", eniInstancePort, proto, ports),
					fmt.Sprintf("iifname %q %s sport %s notrack", eniRouterPort, proto, ports))
			}
		}
	}
	return rules
}

// allPorts is how portRange writes 0-65535.
const allPorts = "0-65535"

// fromAnywhere lists the port ranges that rules allow for proto from or to 0.0.0.0/0 (an
// all-protocols rule allows every port).
func fromAnywhere(rules []Rule, proto string) []string {
	var out []string
	for _, r := range rules {
		anywhere := false
		for _, c := range r.CIDRs {
			anywhere = anywhere || c.Bits() == 0
		}
		switch {
		case !anywhere:
		case r.Protocol == "-1" || r.Protocol == "all":
			out = append(out, allPorts)
		case r.Protocol == proto:
			out = append(out, portRange(r.FromPort, r.ToPort))
		}
	}
	return out
}

// portRange writes ports as nft does: one port, or from-to.
func portRange(from, to int) string {
	if from == to {
		return fmt.Sprint(from)
	}
	return fmt.Sprintf("%d-%d", from, to)
}
