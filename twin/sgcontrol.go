package twin

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// withTrackedPairGroup takes from the NAT pairs' members the group that leaves TCP and UDP
// untracked: they keep the pair's own group, the single NAT's rules (forwarding from the VPC
// only), which EC2 tracks on each member's interface.
func withTrackedPairGroup(topo *Topology) {
	for i, inst := range topo.Instances {
		if inst.PairFiles != nil {
			topo.Instances[i].SecurityGroups = slices.DeleteFunc(slices.Clone(inst.SecurityGroups), func(g string) bool {
				return len(untracked(topo.SecurityGroups[g].Ingress, topo.SecurityGroups[g].Egress)) > 0
			})
		}
	}
}

// serverSpeaks are the flow kinds where only the server sends after a takeover.
var serverSpeaks = []string{kindDownload, kindLongPoll, kindUDPPush}

// checkTrackedGroupLosesFlows is the fault matrix's survival check with the pair's group alone on
// the members: the server's packets reach the new member's interface, which never tracked the flow
// and lets in from the VPC only, so every flow where only the server speaks after the takeover is
// lost.
func checkTrackedGroupLosesFlows(ctx context.Context, t *Twin, p Pair) error {
	_, report, err := t.failOverWithFlows(ctx, p, killMember)
	if err != nil {
		return err
	}
	t.figuref(p, "(without the untracked group): %s", report)
	var kept []string
	for _, k := range serverSpeaks {
		if c := report.ByKind[k]; c[0] > 0 || c[1] == 0 {
			kept = append(kept, fmt.Sprintf("%s %d of %d", k, c[0], c[1]))
		}
	}
	if len(kept) > 0 {
		return fmt.Errorf("without the untracked group, flows where only the server speaks survived a takeover (%s): the twin does not track each interface on its own",
			strings.Join(kept, ", "))
	}
	return nil
}
