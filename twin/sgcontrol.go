package twin

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// withTrackedPairGroup gives the NAT pairs' members the security group they had before it let TCP
// and UDP through untracked: the single NAT's rules (compute's natRules), forwarding web and UDP
// from the VPC only, so that EC2 tracks every flow on each member's interface.
func withTrackedPairGroup(topo *Topology) {
	vpc, anywhere := []netip.Prefix{topo.VPC}, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	web := func(cidrs []netip.Prefix) []Rule {
		return []Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: cidrs}, {Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: cidrs},
			{Protocol: "udp", FromPort: 0, ToPort: 65535, CIDRs: cidrs}}
	}
	groups, done := maps.Clone(topo.SecurityGroups), map[string]bool{}
	for _, inst := range topo.Instances {
		for _, name := range inst.SecurityGroups {
			if inst.PairFiles == nil || done[name] {
				continue // not a member's, or changed already (the other member's)
			}
			done[name] = true
			g := groups[name]
			g.Ingress = append(withoutUntracked(g.Ingress), web(vpc)...)
			g.Egress = append(withoutUntracked(g.Egress), append(web(anywhere), Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: vpc})...)
			groups[name] = g
		}
	}
	topo.SecurityGroups = groups
}

// withoutUntracked drops the rules that allow TCP or UDP on every port from or to anywhere.
func withoutUntracked(rules []Rule) []Rule {
	return slices.DeleteFunc(slices.Clone(rules), func(r Rule) bool {
		return (r.Protocol == "tcp" || r.Protocol == "udp") && portRange(r.FromPort, r.ToPort) == allPorts &&
			slices.ContainsFunc(r.CIDRs, func(c netip.Prefix) bool { return c.Bits() == 0 })
	})
}

// serverSpeaks are the flow kinds where only the server sends after a takeover.
var serverSpeaks = []string{kindDownload, kindLongPoll, kindUDPPush}

// checkTrackedGroupLosesFlows is the fault matrix's survival check with the pair's old security
// group: the server's packets reach the new member's interface, which never tracked the flow and
// lets in from the VPC only, so every flow where only the server speaks after the takeover is lost.
func checkTrackedGroupLosesFlows(ctx context.Context, t *Twin, p Pair) error {
	_, report, err := t.failOverWithFlows(ctx, p, killMember)
	if err != nil {
		return err
	}
	t.figuref(p, "(the old security group, tracked): %s", report)
	var kept []string
	for _, k := range serverSpeaks {
		if c := report.ByKind[k]; c[0] > 0 || c[1] == 0 {
			kept = append(kept, fmt.Sprintf("%s %d of %d", k, c[0], c[1]))
		}
	}
	if len(kept) > 0 {
		return fmt.Errorf("with the old security group, flows where only the server speaks survived a takeover (%s): the twin does not track each interface on its own",
			strings.Join(kept, ", "))
	}
	return nil
}
