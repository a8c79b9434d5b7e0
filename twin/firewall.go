package twin

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// loadFirewalls programs the internet gateway: the Elastic IPs' 1:1 translation. Each ENI's
// source/dest check and security groups are its own namespace's (linkENI). Nothing here
// masquerades: that is the NAT instance's own boot script's job.
func (t *Twin) loadFirewalls(ctx context.Context) error {
	return nftIn(ctx, t.igw(), t.igwRuleset())
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]`)

func setName(group string) string { return "group_" + unsafeName.ReplaceAllString(group, "_") }

// eniRuleset renders instance k's interface: its source/dest check, then its security groups,
// stateful on this interface alone. A packet the instance sends (in on i) must match an egress
// rule, one it receives (in on r) an ingress rule, unless it belongs to a flow this interface
// tracks; flows EC2 leaves untracked (tracking.go) are judged by the rules, packet by packet.
func (t *Twin) eniRuleset(k int) string {
	inst := t.topo.Instances[k]
	var b strings.Builder
	b.WriteString("table ip twin_eni {\n")
	groups := make([]string, 0, len(t.topo.SecurityGroups))
	for name := range t.topo.SecurityGroups {
		groups = append(groups, name)
	}
	slices.Sort(groups)
	for _, name := range groups {
		fmt.Fprintf(&b, "\tset %s {\n\t\ttype ipv4_addr\n", setName(name))
		var members []string
		for _, other := range t.topo.Instances {
			if slices.Contains(other.SecurityGroups, name) {
				members = append(members, other.PrivateIP.String())
			}
		}
		if len(members) > 0 {
			fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(members, ", "))
		}
		b.WriteString("\t}\n")
	}

	var egress, ingress []Rule
	for _, g := range inst.SecurityGroups {
		egress = append(egress, t.topo.SecurityGroups[g].Egress...)
		ingress = append(ingress, t.topo.SecurityGroups[g].Ingress...)
	}
	fmt.Fprintf(&b, "\tchain sg_untracked {\n\t\ttype filter hook prerouting priority raw; policy accept;\n%s\t}\n",
		indent(untracked(ingress, egress)))

	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n")
	if inst.SourceDestCheck {
		fmt.Fprintf(&b, "\t\tiifname %q ip saddr != %s drop\n", eniInstancePort, inst.PrivateIP)
		fmt.Fprintf(&b, "\t\tiifname %q ip daddr != %s drop\n", eniRouterPort, inst.PrivateIP)
	}
	fmt.Fprintf(&b, "\t\tct state established,related accept\n\t\tiifname %q jump sg_egress\n\t\tiifname %q jump sg_ingress\n\t}\n",
		eniInstancePort, eniRouterPort)
	var egressLines, ingressLines []string
	for _, r := range egress {
		egressLines = append(egressLines, matches(r, "daddr", "accept")...)
	}
	for _, r := range ingress {
		ingressLines = append(ingressLines, matches(r, "saddr", "accept")...)
	}
	fmt.Fprintf(&b, "\tchain sg_egress {\n%s\t}\n\tchain sg_ingress {\n%s\t}\n}\n", indent(egressLines), indent(ingressLines))
	return b.String()
}

// matches renders one security group rule as nft rules: one per peer (CIDR or group), on the
// peer's address in direction (saddr for ingress, daddr for egress).
func matches(r Rule, direction, verdict string) []string {
	var service string
	switch r.Protocol {
	case "tcp", "udp":
		service = fmt.Sprintf(" %s dport %s", r.Protocol, portRange(r.FromPort, r.ToPort))
	case "icmp":
		service = " ip protocol icmp"
	case "-1", "all":
	default:
		number, err := strconv.Atoi(r.Protocol) // e.g. "112", VRRP between NAT pair members
		if err != nil || number < 0 || number > 255 {
			return nil // a protocol the twin does not model matches nothing
		}
		service = fmt.Sprintf(" meta l4proto %d", number)
	}
	var out []string
	for _, c := range r.CIDRs {
		out = append(out, fmt.Sprintf("ip %s %s%s %s", direction, c, service, verdict))
	}
	for _, g := range r.SourceGroups {
		out = append(out, fmt.Sprintf("ip %s @%s%s %s", direction, setName(g), service, verdict))
	}
	return out
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\t\t" + l + "\n")
	}
	return b.String()
}

// igwRuleset renders the internet gateway: each Elastic IP is translated 1:1 to its ENI's
// private address; traffic from a VPC address without an Elastic IP goes no further, and from
// the internet only what is addressed to an Elastic IP (or answers a flow) gets in.
func (t *Twin) igwRuleset() string {
	var pre, post, privates []string
	eips := t.elasticIPs()
	for _, private := range sortedAddrs(eips) {
		public := eips[private]
		pre = append(pre, fmt.Sprintf("iifname \"to-net\" ip daddr %s dnat to %s", public, private))
		post = append(post, fmt.Sprintf("oifname \"to-net\" ip saddr %s snat to %s", private, public))
		privates = append(privates, private.String())
	}
	fromVPC := `iifname "to-vpc" drop`
	if len(privates) > 0 {
		fromVPC = fmt.Sprintf(`iifname "to-vpc" ip saddr != { %s } drop`, strings.Join(privates, ", "))
	}
	return fmt.Sprintf(`table ip twin_igw {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
%s	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
%s	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		%s
		iifname "to-net" ct state established,related accept
		iifname "to-net" ct status dnat accept
		iifname "to-net" drop
	}
}
`, indent(pre), indent(post), fromVPC)
}

func sortedAddrs(m map[netip.Addr]netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}
