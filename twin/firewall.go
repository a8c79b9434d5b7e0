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

// loadFirewalls programs what AWS enforces outside the instances: at the VPC router, each ENI's
// source/dest check and security groups; at the internet gateway, the Elastic IPs' 1:1
// translation. Nothing here masquerades: that is the NAT instance's own boot script's job.
func (t *Twin) loadFirewalls(ctx context.Context) error {
	if err := nftIn(ctx, t.router(), t.routerRuleset()); err != nil {
		return err
	}
	return nftIn(ctx, t.igw(), t.igwRuleset())
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]`)

func setName(group string) string { return "group_" + unsafeName.ReplaceAllString(group, "_") }

// routerRuleset renders the VPC router's filter. Security groups are stateful: a packet of an
// established flow passes; a new one must match the sender's egress rules as it leaves the
// sender's ENI and the receiver's ingress rules as it reaches the receiver's ENI.
func (t *Twin) routerRuleset() string {
	var b strings.Builder
	b.WriteString("table ip twin_vpc {\n")
	groups := make([]string, 0, len(t.topo.SecurityGroups))
	for name := range t.topo.SecurityGroups {
		groups = append(groups, name)
	}
	slices.Sort(groups)
	for _, name := range groups {
		fmt.Fprintf(&b, "\tset %s {\n\t\ttype ipv4_addr\n", setName(name))
		var members []string
		for _, inst := range t.topo.Instances {
			if slices.Contains(inst.SecurityGroups, name) {
				members = append(members, inst.PrivateIP.String())
			}
		}
		if len(members) > 0 {
			fmt.Fprintf(&b, "\t\telements = { %s }\n", strings.Join(members, ", "))
		}
		b.WriteString("\t}\n")
	}

	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	for i, inst := range t.topo.Instances {
		if inst.SourceDestCheck {
			fmt.Fprintf(&b, "\t\tiifname %q ip saddr != %s drop\n", routerPort(i), inst.PrivateIP)
			fmt.Fprintf(&b, "\t\toifname %q ip daddr != %s drop\n", routerPort(i), inst.PrivateIP)
		}
	}
	b.WriteString("\t\tct state established,related accept\n\t\tct state invalid drop\n")
	// Every egress jump comes before any ingress jump: ingress chains end in accept, so an
	// ingress match must never come before the sender's egress rules have been checked.
	for i := range t.topo.Instances {
		fmt.Fprintf(&b, "\t\tiifname %q jump egress_%d\n", routerPort(i), i)
	}
	for i := range t.topo.Instances {
		fmt.Fprintf(&b, "\t\toifname %q jump ingress_%d\n", routerPort(i), i)
	}
	b.WriteString("\t}\n")

	for i, inst := range t.topo.Instances {
		var egress, ingress []string
		for _, g := range inst.SecurityGroups {
			for _, r := range t.topo.SecurityGroups[g].Egress {
				egress = append(egress, matches(r, "daddr", "return")...)
			}
			for _, r := range t.topo.SecurityGroups[g].Ingress {
				ingress = append(ingress, matches(r, "saddr", "accept")...)
			}
		}
		fmt.Fprintf(&b, "\tchain egress_%d {\n%s\t\tdrop\n\t}\n", i, indent(egress))
		fmt.Fprintf(&b, "\tchain ingress_%d {\n%s\t\tdrop\n\t}\n", i, indent(ingress))
	}
	b.WriteString("}\n")
	return b.String()
}

// matches renders one security group rule as nft rules: one per peer (CIDR or group), on the
// peer's address in direction (saddr for ingress, daddr for egress).
func matches(r Rule, direction, verdict string) []string {
	var service string
	switch r.Protocol {
	case "tcp", "udp":
		ports := fmt.Sprint(r.FromPort)
		if r.ToPort != r.FromPort {
			ports = fmt.Sprintf("%d-%d", r.FromPort, r.ToPort)
		}
		service = fmt.Sprintf(" %s dport %s", r.Protocol, ports)
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
