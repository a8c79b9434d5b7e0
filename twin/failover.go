package twin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"nat-instance/natpair"
)

// syncLimit bounds how long the standby's conntrackd takes to hold the flows it is sent: the
// peer sends each change at once (conntrack-tools' FTFW mode), so only the machine's own time
// counts; the failover waits are in limits.go.
const syncLimit = 30 * time.Second

// The fault matrix's flows: bulk transfers (uploads and downloads) and idle-then-active
// connections, 20 TCP in all, plus a UDP flow per private instance.
const (
	bulkFlows = 12
	idleFlows = 8
)

// PairChecks are the faults a NAT pair must survive (and a negative control that shows the
// connection checks can fail). Each exercises one pair: on a stack with several pairs, checks
// share a twin, each on a pair of its own (RunChecks).
func PairChecks() []Check {
	return append([]Check{
		{Name: "pair: the active member dies: new connections work again, through the same Elastic IP", OnPair: checkActiveDies},
		{Name: "pair: established connections survive the active member's death", OnPair: checkConnectionsSurvive},
		{Name: "pair: the dead member returns as standby, the NAT stays, a second failover keeps connections", OnPair: checkMemberReturns, PairCode: true},
		{Name: "pair: the standby dies: nothing changes", OnPair: checkStandbyDies, PairCode: true},
		{Name: "pair: a planned roll-out (standby replaced, handover, the other replaced) keeps connections", OnPair: checkPlannedRollout, PairCode: true},
		{Name: "pair: keepalived crashes on the active member: failover, connections kept", OnPair: activeFault("keepalived killed", killKeepalived), PairCode: true},
		{Name: "pair: the active member stops forwarding: failover, connections kept", OnPair: activeFault("ip_forward=0", forwardingOff), PairCode: true},
		// Without its nat chains the kernel stops translating even established flows at once; the
		// member drops their untranslated replies (nat_pair table) instead of resetting them.
		{Name: "pair: the active member loses its ruleset: failover, connections kept", OnPair: activeFault("nat_instance table deleted", rulesetDeleted), PairCode: true},
		{Name: "pair: the members cannot hear each other: traffic flows, one owner in the end", OnPair: checkSplitBrain},
		{Name: "pair: a member takes state sync from its peer only", OnPair: checkOnlyThePeerSyncs, PairCode: true},
		{Name: "negative control: with conntrackd stopped, established connections do not survive; the new member resets none of them", OnPair: checkWithoutConntrackd, PairCode: true},
		{Name: "negative control: without the untracked group (the pair's group alone, tracked), flows where only the server speaks after a takeover are lost",
			Change: withTrackedPairGroup, OnPair: checkTrackedGroupLosesFlows, PairCode: true},
		{Name: "pair: nothing from the internet reaches a member or the VPC unsolicited", OnPair: checkNothingUnsolicited},
	}, identityChecks()...)
}

// runOnPairs serves the flows' services on the internet host, boots every pair, then runs the
// group's checks side by side, the k-th on the k-th pair.
func (t *Twin) runOnPairs(ctx context.Context, checks []Check, group []int, errs []error) error {
	if err := ipBatch(ctx, t.internet(), "addr add "+downloadHost.String()+"/32 dev net0", "addr add "+pollHost.String()+"/32 dev net0"); err != nil {
		return err
	}
	if err := t.listen(t.internet(), netip.AddrPortFrom(InternetHost, flowPort), serveEcho); err != nil {
		return err
	}
	if err := t.listen(t.internet(), netip.AddrPortFrom(downloadHost, flowPort), serveDownload); err != nil {
		return err
	}
	var udp net.PacketConn
	if err := inNamespace(t.internet(), func() (err error) {
		udp, err = net.ListenPacket("udp4", netip.AddrPortFrom(InternetHost, udpPort).String())
		return err
	}); err != nil {
		return err
	}
	defer udp.Close()
	go serveUDPAddress(udp)
	stopPushes, err := t.servePolls()
	if err != nil {
		return err
	}
	defer stopPushes()
	if err := t.StartPairs(ctx); err != nil {
		for _, p := range t.topo.Pairs {
			err = t.withMemberLogs(p, err)
		}
		return err
	}
	var wg sync.WaitGroup
	for k, i := range group {
		p := t.topo.Pairs[k]
		wg.Go(func() { errs[k] = t.withMemberLogs(p, checks[i].OnPair(ctx, t, p)) })
	}
	wg.Wait()
	return nil
}

// withMemberLogs adds what a pair's members printed to a failure.
func (t *Twin) withMemberLogs(p Pair, err error) error {
	if err == nil {
		return nil
	}
	for _, m := range p.Members {
		t.logf("--- %s printed:\n%s", m, t.MemberLog(m))
	}
	return err
}

// label names a pair by its members.
func (p Pair) label() string { return p.Members[0] + "/" + p.Members[1] }

func (p Pair) other(member string) string {
	if p.Members[0] == member {
		return p.Members[1]
	}
	return p.Members[0]
}

// active is the member EC2 says holds the identity.
func (t *Twin) active(p Pair) (active, standby string) {
	owner, _ := t.Owner(p)
	return owner, p.other(owner)
}

// waitNewConnections measures how long after since every private instance the pair serves can
// open a new connection to the internet again, then checks each leaves as the pair's Elastic IP.
func (t *Twin) waitNewConnections(ctx context.Context, p Pair, since time.Time) (time.Duration, error) {
	return t.waitNewConnectionsWithin(ctx, p, since, t.opts.failoverLimit())
}

// waitNewConnectionsWithin is waitNewConnections for a fault that lasts: at most limit.
func (t *Twin) waitNewConnectionsWithin(ctx context.Context, p Pair, since time.Time, limit time.Duration) (time.Duration, error) {
	var took time.Duration
	for _, inst := range t.servedBy(p) {
		err := poll(ctx, limit, func() bool {
			c, err := t.dial(inst.Name, netip.Addr{}, netip.AddrPortFrom(InternetHost, 80))
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		if err != nil {
			return 0, fmt.Errorf("%s: no new connection within %v of the fault", inst.Name, limit)
		}
		took = max(took, time.Since(since))
		// The check-IP request has a probe's short limit: on a loaded machine, ask again.
		var seen netip.Addr
		err = poll(ctx, t.opts.failoverLimit(), func() bool {
			seen, err = t.CheckIP(ctx, inst.Name)
			return err == nil
		})
		if err != nil || seen != p.ElasticIP {
			return 0, fmt.Errorf("%s leaves as %v (%v), want the NAT's Elastic IP %s", inst.Name, seen, err, p.ElasticIP)
		}
	}
	return took, nil
}

// waitSynced waits until a member's conntrackd holds at least n of the flows
// in its external cache (TCP and UDP, to the echo and download services): what it would
// commit on a takeover.
func (t *Twin) waitSynced(ctx context.Context, member string, n int) error {
	var got int
	err := pollEvery(ctx, syncLimit, processPoll, func() bool {
		out, err := t.InMember(ctx, member, "conntrackd", "-C", natpair.ConntrackdPath, "-e")
		got = strings.Count(out, fmt.Sprintf("dport=%d ", flowPort)) + strings.Count(out, fmt.Sprintf("dport=%d ", udpPort))
		return err == nil && got >= n
	})
	if err != nil {
		return fmt.Errorf("%s's conntrackd holds %d of the %d flows after %v", member, got, n, syncLimit)
	}
	t.logf("%s's conntrackd holds the %d flows (external cache)", member, got)
	return nil
}

// failOverWithFlows opens the flows, lets the standby sync them, applies fault to the active
// member and reports the recovery time and how the flows came through.
func (t *Twin) failOverWithFlows(ctx context.Context, p Pair, fault func(context.Context, *Twin, string) error) (time.Duration, FlowReport, error) {
	active, standby := t.active(p)
	flows, err := t.OpenFlows(ctx, p, bulkFlows, idleFlows)
	if err != nil {
		return 0, FlowReport{}, err
	}
	if err := t.waitSynced(ctx, standby, len(flows.Flows)); err != nil {
		return 0, flows.Finish(), err
	}
	before := flows.Progress()
	start := time.Now()
	if err := fault(ctx, t, active); err != nil {
		return 0, flows.Finish(), err
	}
	took, err := t.waitNewConnections(ctx, p, start)
	if err == nil {
		_, err = t.WaitOwner(ctx, p, standby, t.opts.failoverLimit())
		t.figuref(p, "the identity was whole on %s %.1f s after the fault", standby, time.Since(start).Seconds())
	}
	if err == nil {
		err = t.takeoverAnnounced(ctx, p, start, standby, active)
	}
	if err == nil {
		_ = flows.WaitProgress(ctx, before, t.opts.failoverLimit()) // a stalled flow shows in the report
	}
	report := flows.Finish()
	t.logf("flows across the failover: %s", report)
	return took, report, err
}

// figurePrefix starts every transcript line that carries a measured figure; the pair it was
// measured on follows, since pairs of one twin are checked side by side.
const figurePrefix = "measured"

func (t *Twin) figuref(p Pair, format string, args ...any) {
	t.logf("%s %s: %s", figurePrefix, p.label(), fmt.Sprintf(format, args...))
}

// Figures collects the measured figures of the checks' transcripts, each with its check.
func Figures(results []Result) []string {
	var out []string
	for _, r := range results {
		mine := fmt.Sprintf("%s %s: ", figurePrefix, r.pair)
		for line := range strings.Lines(r.Transcript) {
			if figure, ok := strings.CutPrefix(line, mine); ok && r.pair != "" {
				out = append(out, fmt.Sprintf("%s: %s", r.Check, strings.TrimSpace(figure)))
			}
		}
	}
	return out
}

func killMember(ctx context.Context, t *Twin, member string) error { return t.KillMember(ctx, member) }

func checkActiveDies(ctx context.Context, t *Twin, p Pair) error {
	active, _ := t.active(p)
	start := time.Now()
	if err := t.KillMember(ctx, active); err != nil {
		return err
	}
	took, err := t.waitNewConnections(ctx, p, start)
	if err != nil {
		return err
	}
	t.figuref(p, "%.1f s from the active member's death to the first new connection (AWS calls %v each)",
		took.Seconds(), t.opts.awsCallDelay())
	return nil
}

func checkConnectionsSurvive(ctx context.Context, t *Twin, p Pair) error {
	took, report, err := t.failOverWithFlows(ctx, p, killMember)
	if err != nil {
		return err
	}
	t.figuref(p, "%.1f s to the first new connection; %s", took.Seconds(), report)
	return report.Err()
}

func checkMemberReturns(ctx context.Context, t *Twin, p Pair) error {
	first, second := t.active(p)
	flows, err := t.openSyncedFlows(ctx, p, second)
	if err != nil {
		return err
	}
	defer flows.Close()
	if err := t.KillMember(ctx, first); err != nil {
		return err
	}
	if _, err := t.WaitOwner(ctx, p, second, t.opts.failoverLimit()); err != nil {
		return err
	}
	if err := t.ReviveMember(ctx, first); err != nil {
		return err
	}
	// Back as standby: it re-syncs the table (conntrackd -n on BACKUP) and takes nothing back.
	if err := t.waitSynced(ctx, first, len(flows.Flows)); err != nil {
		return err
	}
	if err := t.holdsStill(ctx, p, second); err != nil {
		return err
	}
	before := flows.Progress()
	if err := t.KillMember(ctx, second); err != nil {
		return err
	}
	if _, err := t.WaitOwner(ctx, p, first, t.opts.failoverLimit()); err != nil {
		return err
	}
	if err := flows.WaitProgress(ctx, before, t.opts.failoverLimit()); err != nil {
		return fmt.Errorf("bulk flows stalled after the second failover: %w", err)
	}
	report := flows.Finish()
	t.logf("flows across two failovers: %s", report)
	return report.Err()
}

// holdsStill watches the pair for quietWindow: the identity must stay whole on owner and neither
// of its members may change anything in EC2 (reads are the active member's identity check;
// other pairs of the twin go their own way).
func (t *Twin) holdsStill(ctx context.Context, p Pair, owner string) error {
	calls := len(t.APICalls())
	deadline := time.Now().Add(t.opts.quietWindow())
	for time.Now().Before(deadline) {
		if now, whole := t.Owner(p); !whole || now != owner {
			return fmt.Errorf("the identity moved from %s (now %q, whole %v)", owner, now, whole)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	var extra []APICall
	for _, c := range t.APICalls()[calls:] {
		if (c.Member == p.Members[0] || c.Member == p.Members[1]) && c.Mutating {
			extra = append(extra, c)
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("members changed EC2 while nothing was wrong: %v", extra)
	}
	t.logf("for %v the identity stayed on %s and nobody changed anything in EC2", t.opts.quietWindow(), owner)
	return nil
}

func checkStandbyDies(ctx context.Context, t *Twin, p Pair) error {
	active, standby := t.active(p)
	flows, err := t.OpenFlows(ctx, p, bulkFlows, idleFlows)
	if err != nil {
		return err
	}
	before := flows.Progress()
	if err := t.KillMember(ctx, standby); err != nil {
		flows.Close()
		return err
	}
	errs := []error{t.holdsStill(ctx, p, active), flows.WaitProgress(ctx, before, t.opts.failoverLimit())}
	report := flows.Finish()
	t.logf("flows while the standby died: %s", report)
	return errors.Join(append(errs, report.Err())...)
}

// activeFault applies fault to the active member (whose namespace stays) and checks the pair
// fails over with every connection.
func activeFault(what string, fault func(context.Context, *Twin, string) error) func(context.Context, *Twin, Pair) error {
	return func(ctx context.Context, t *Twin, p Pair) error {
		took, report, err := t.failOverWithFlows(ctx, p, func(ctx context.Context, t *Twin, active string) error {
			t.logf("fault on %s: %s", active, what)
			return fault(ctx, t, active)
		})
		if err != nil {
			return err
		}
		t.figuref(p, "(%s): %.1f s to the first new connection; %s", what, took.Seconds(), report)
		return report.Err()
	}
}

func killKeepalived(ctx context.Context, t *Twin, member string) error {
	pids, err := t.processesNamed(ctx, member, "keepalived")
	if err != nil || len(pids) == 0 {
		return fmt.Errorf("no keepalived on %s: %v", member, err)
	}
	var errs []error
	for _, pid := range pids {
		errs = append(errs, syscall.Kill(pid, syscall.SIGKILL))
	}
	return errors.Join(errs...)
}

func forwardingOff(ctx context.Context, t *Twin, member string) error {
	return sysctlIn(ctx, t.Namespace(member), "net.ipv4.ip_forward=0")
}

func rulesetDeleted(ctx context.Context, t *Twin, member string) error {
	_, err := t.Exec(ctx, member, "nft", "delete", "table", "ip", "nat_instance")
	return err
}

// vrrpBlock drops VRRP at the VPC router between a pair's members (other pairs of the twin
// keep theirs), in a table of the pair's own.
func (t *Twin) vrrpBlock(p Pair) (table, ruleset string) {
	a := t.topo.Instances[t.instanceIndex(p.Members[0])].PrivateIP
	b := t.topo.Instances[t.instanceIndex(p.Members[1])].PrivateIP
	table = "twin_fault_" + unsafeName.ReplaceAllString(p.Members[0], "_")
	return table, fmt.Sprintf(`table ip %s {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr { %s, %s } ip daddr { %s, %s } meta l4proto 112 drop
	}
}
`, table, a, b, a, b)
}

func checkSplitBrain(ctx context.Context, t *Twin, p Pair) error {
	active, standby := t.active(p)
	table, block := t.vrrpBlock(p)
	if err := nftIn(ctx, t.router(), block); err != nil {
		return err
	}
	t.logf("VRRP dropped between %s and %s", active, standby)
	// The standby hears nothing, believes the active member dead and takes the identity; both are
	// active, and the higher priority takes it back at its next identity check (the lower one
	// leaves it there for a while): the identity is whole on one of them.
	if err := t.waitActive(ctx, p, standby); err != nil {
		return fmt.Errorf("while VRRP is blocked: %w", err)
	}
	owner, err := t.WaitOwner(ctx, p, "", t.opts.failoverLimit())
	if err != nil {
		return fmt.Errorf("while VRRP is blocked: %w", err)
	}
	holders, err := t.floatingHolders(ctx, p)
	t.logf("while VRRP is blocked: EC2 gives the identity to %s; the floating address is configured on %v", owner, holders)
	if err != nil {
		return err
	}
	if _, err := t.waitNewConnections(ctx, p, time.Now()); err != nil {
		return fmt.Errorf("while VRRP is blocked: %w", err)
	}
	if _, err := run(ctx, "ip", "netns", "exec", t.router(), "nft", "delete", "table", "ip", table); err != nil {
		return err
	}
	t.logf("VRRP flows again")
	// Both are active; the one that hears a lower priority keeps (and re-takes) the identity,
	// the other steps back and drops the address.
	owner, err = t.waitSettled(ctx, p)
	if err != nil {
		return fmt.Errorf("after VRRP returned: %w", err)
	}
	t.logf("after VRRP returned: one owner, %s (EC2 and the only member with the floating address)", owner)
	_, err = t.waitNewConnections(ctx, p, time.Now())
	return err
}

// waitSettled waits until a pair has one owner: its identity whole in EC2 on a member that is
// the only one with the floating address configured.
func (t *Twin) waitSettled(ctx context.Context, p Pair) (string, error) {
	var owner string
	var holders []string
	err := pollEvery(ctx, t.opts.failoverLimit(), processPoll, func() bool {
		var whole bool
		var err error
		owner, whole = t.Owner(p)
		holders, err = t.floatingHolders(ctx, p)
		return whole && err == nil && len(holders) == 1 && holders[0] == owner
	})
	if err != nil {
		return owner, fmt.Errorf("pair %s: no single owner within %v: EC2 owner %q, floating address on %v", p.label(), t.opts.failoverLimit(), owner, holders)
	}
	return owner, nil
}

// floatingHolders lists the members that have the floating address configured.
func (t *Twin) floatingHolders(ctx context.Context, p Pair) ([]string, error) {
	var out []string
	for _, m := range p.Members {
		addrs, err := t.Exec(ctx, m, "ip", "-4", "-o", "addr", "show", "dev", Interface)
		if err != nil {
			return nil, err
		}
		if strings.Contains(addrs, " "+p.FloatingIP.String()+"/") {
			out = append(out, m)
		}
	}
	return out, nil
}

// checkWithoutConntrackd is check 2 with the standby's conntrackd stopped: it must fail. The new
// member then knows none of the flows, and must not reset them either (unsynced.go).
func checkWithoutConntrackd(ctx context.Context, t *Twin, p Pair) error {
	_, standby := t.active(p)
	counter, err := t.countResets(ctx, p)
	if err != nil {
		return err
	}
	flows, err := t.OpenFlows(ctx, p, bulkFlows, idleFlows)
	if err != nil {
		return err
	}
	if _, err := t.InMember(ctx, standby, "conntrackd", "-C", natpair.ConntrackdPath, "-k"); err != nil {
		flows.Close()
		return err
	}
	t.logf("conntrackd stopped on %s", standby)
	active, _ := t.active(p)
	if err := t.KillMember(ctx, active); err != nil {
		flows.Close()
		return err
	}
	_, _ = t.WaitOwner(ctx, p, standby, t.opts.failoverLimit())
	_ = flows.WaitProgress(ctx, flows.Progress(), 10*time.Second)
	resets, err := counter.resets(ctx)
	report := flows.Finish()
	t.logf("flows without conntrackd: %s; %d reset(s) from %s reached the internet", report, resets, p.ElasticIP)
	switch {
	case report.Err() == nil:
		return errors.New("every connection survived without conntrackd: the survival check cannot fail")
	case err != nil:
		return err
	case resets > 0:
		return fmt.Errorf("%s reset %d packet(s) of flows it never synced, instead of dropping them", standby, resets)
	}
	return nil
}
