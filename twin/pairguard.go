package twin

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"

	"nat-instance/natpair"
)

// strangerDatagrams is how many sync datagrams a VPC host that is not the peer sends a member.
const strangerDatagrams = 5

// syncDropCounter reads the member's count of sync datagrams dropped for not coming from its peer.
var syncDropCounter = regexp.MustCompile(`udp dport \d+ ip saddr != \S+ counter packets (\d+)`)

// checkOnlyThePeerSyncs sends conntrackd sync datagrams to the active member from a private
// instance: the security group lets the whole VPC send UDP to a NAT (to be forwarded), so the
// member itself must refuse state from anyone but its peer.
func checkOnlyThePeerSyncs(ctx context.Context, t *Twin, p Pair) error {
	active, _ := t.active(p)
	served := t.servedBy(p)
	if len(served) == 0 {
		return fmt.Errorf("twin: pair %v serves no private instance", p.Members)
	}
	target := netip.AddrPortFrom(t.topo.Instances[t.instanceIndex(active)].PrivateIP, natpair.SyncPort)
	err := inNamespace(t.Namespace(served[0].Name), func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(target))
		if err != nil {
			return err
		}
		defer c.Close()
		for range strangerDatagrams {
			if _, err := c.Write([]byte("not a conntrackd message")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("twin: %s sending to %s: %w", served[0].Name, target, err)
	}
	var dropped int
	err = pollEvery(ctx, probeTimeout, processPoll, func() bool {
		out, err := t.InMember(ctx, active, "nft", "list", "chain", "ip", "nat_pair", "input")
		m := syncDropCounter.FindStringSubmatch(out)
		if err != nil || m == nil {
			return false
		}
		dropped, _ = strconv.Atoi(m[1])
		return dropped >= strangerDatagrams
	})
	t.logf("%s dropped %d of %d sync datagrams from %s (not its peer)", active, dropped, strangerDatagrams, served[0].Name)
	if err != nil {
		return fmt.Errorf("%s took sync datagrams from %s, which is not its peer (%d of %d dropped)", active, served[0].Name, dropped, strangerDatagrams)
	}
	return nil
}
