package twin

import (
	"context"
	"fmt"
	"strconv"
)

// checkPlannedRollout plays the roll-out of a pair (README, "NAT pairs: one member at a time")
// with connections open: the standby member is replaced (killed and booted again from its user
// data, as `pulumi up` with natPairRoll does) and comes back as standby; the active member hands
// over by stopping keepalived (VRRP priority 0); then it is replaced in turn. Every flow must
// come through whole.
func checkPlannedRollout(ctx context.Context, t *Twin, p Pair) error {
	first, second := t.active(p)
	flows, err := t.openSyncedFlows(ctx, p, second)
	if err != nil {
		return err
	}
	defer flows.Close()

	t.logf("step 1: %s, the standby, is replaced", second)
	if err := t.replaceMember(ctx, p, second, first, len(flows.Flows)); err != nil {
		return err
	}

	t.logf("step 2: %s hands over", first)
	before := flows.Progress()
	if err := stopKeepalived(ctx, t, first); err != nil {
		return err
	}
	if _, err := t.WaitOwner(ctx, p, second, t.opts.failoverLimit()); err != nil {
		return err
	}
	if err := flows.WaitProgress(ctx, before, t.opts.failoverLimit()); err != nil {
		return fmt.Errorf("bulk flows stalled after the handover: %w", err)
	}

	t.logf("step 3: %s, now standby, is replaced", first)
	if err := t.replaceMember(ctx, p, first, second, len(flows.Flows)); err != nil {
		return err
	}
	report := flows.Finish()
	t.logf("flows across the roll-out: %s", report)
	return report.Err()
}

// replaceMember replaces a standby member and waits until it is back as standby: synced with
// the n flows, and the identity staying on owner.
func (t *Twin) replaceMember(ctx context.Context, p Pair, member, owner string, n int) error {
	if err := t.KillMember(ctx, member); err != nil {
		return err
	}
	if err := t.ReviveMember(ctx, member); err != nil {
		return err
	}
	if err := t.waitSynced(ctx, member, n); err != nil {
		return err
	}
	return t.holdsStill(ctx, p, owner)
}

// stopKeepalived stops a member's keepalived as `systemctl stop` does (SIGTERM): a master sends
// a last advert with priority 0, so the peer takes over at once (RFC 5798, 6.4.3).
func stopKeepalived(ctx context.Context, t *Twin, member string) error {
	pids, err := t.processesNamed(ctx, member, "keepalived")
	if err != nil || len(pids) == 0 {
		return fmt.Errorf("no keepalived on %s: %v", member, err)
	}
	args := []string{"-TERM"}
	for _, pid := range pids {
		args = append(args, strconv.Itoa(pid))
	}
	_, err = run(ctx, "kill", args...)
	return err
}

// openSyncedFlows opens the fault matrix's flows through a pair and waits until the standby's
// conntrackd holds them all.
func (t *Twin) openSyncedFlows(ctx context.Context, p Pair, standby string) (*FlowSet, error) {
	flows, err := t.OpenFlows(ctx, p, bulkFlows, idleFlows)
	if err != nil {
		return nil, err
	}
	if err := t.waitSynced(ctx, standby, len(flows.Flows)); err != nil {
		flows.Close()
		return nil, err
	}
	return flows, nil
}
