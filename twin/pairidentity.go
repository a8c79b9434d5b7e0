package twin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"nat-instance/compute"
	"nat-instance/natpair"
)

// identityChecks are the checks of the members' transitions and identity check against the AWS
// stand-in: keepalived's events acted on in order, no EC2 change for an identity that is whole,
// repairs, and takeovers through EC2 faults (with their figures).
func identityChecks() []Check {
	return []Check{
		{Name: "pair: a stale MASTER queued before a BACKUP changes nothing", OnPair: checkStaleMaster, PairCode: true},
		{Name: "pair: lower priorities heard again and again change nothing while the identity is whole", OnPair: checkLowerPriorityStorm, PairCode: true},
		{Name: "pair: a route moved behind the pair's back is moved back by the active member", OnPair: checkRouteMovedBack, PairCode: true},
		{Name: "pair: takeovers with EC2 answering every call: the identity whole each time", OnPair: faultyTakeovers(AWSFault{}), PairCode: true},
		{Name: "pair: takeovers while EC2 throttles the first route calls: every route moved in the end", OnPair: faultyTakeovers(throttledRoutes), PairCode: true},
		{Name: "pair: takeovers with the EC2 endpoint unreachable for 30 s: the identity whole once it returns", OnPair: faultyTakeovers(unreachable30s), PairCode: true},
	}
}

// The faults of the takeover checks: more throttled route calls than one CLI command retries
// (3 attempts), so the identity check must try the route again; the endpoint blackholed.
var (
	throttledRoutes = AWSFault{Kind: Throttled, Operations: []string{"replace-route"}, Calls: 4}
	unreachable30s  = AWSFault{Kind: Unreachable, For: 30 * time.Second}
)

// checkInterval is how often the active member checks its identity, from its settings file.
func (t *Twin) checkInterval(member string) time.Duration {
	s, _ := pairSettings(t.topo.Instances[t.instanceIndex(member)].PairFiles)
	seconds, err := strconv.Atoi(s["NAT_CHECK_INTERVAL"])
	if err != nil {
		return natpair.CheckInterval * time.Second
	}
	return time.Duration(seconds) * time.Second
}

// notifyFIFO is where keepalived writes a member's transitions (keepalived.conf).
const notifyFIFO = natpair.RunDir + "/notify.fifo"

// queueEvents writes keepalived's event lines for states into a member's notify FIFO in one
// write: what keepalived queues while the reader is busy.
func (t *Twin) queueEvents(ctx context.Context, member string, states ...string) error {
	var lines string
	for _, s := range states {
		lines += `INSTANCE "nat" ` + s + ` 100\n`
	}
	// One write(2), so that the reader finds every event queued when it wakes: bash's own printf
	// writes line by line (bash line-buffers its standard output), coreutils' at exit.
	_, err := t.InMember(ctx, member, "bash", "-c", `env printf '`+lines+`' >`+notifyFIFO)
	return err
}

// vrrpState is a member's last transition as its notify reader recorded it.
func (t *Twin) vrrpState(ctx context.Context, member string) string {
	out, _ := t.InMember(ctx, member, "cat", natpair.RunDir+"/vrrp-state")
	state, _, _ := strings.Cut(strings.TrimSpace(out), " ")
	return state
}

// waitActive waits until member has become active (it configured the floating address), at
// most failoverLimit.
func (t *Twin) waitActive(ctx context.Context, p Pair, member string) error {
	return pollEvery(ctx, t.opts.failoverLimit(), processPoll, func() bool {
		holders, err := t.floatingHolders(ctx, p)
		return err == nil && slices.Contains(holders, member)
	})
}

// changesBy lists the EC2 changes a pair's members made since the n-th call.
func (t *Twin) changesBy(p Pair, n int) []APICall {
	var out []APICall
	for _, c := range t.APICalls()[n:] {
		if c.Mutating && slices.Contains(p.Members[:], c.Member) {
			out = append(out, c)
		}
	}
	return out
}

func checkStaleMaster(ctx context.Context, t *Twin, p Pair) error {
	active, standby := t.active(p)
	if err := t.queueEvents(ctx, standby, "MASTER", "BACKUP"); err != nil {
		return err
	}
	t.logf("%s's notify FIFO: MASTER then BACKUP, queued together", standby)
	errs := []error{t.holdsStill(ctx, p, active)}
	if holders, err := t.floatingHolders(ctx, p); err != nil || !slices.Equal(holders, []string{active}) {
		errs = append(errs, fmt.Errorf("the floating address is configured on %v (%v), want %s only", holders, err, active))
	}
	if state := t.vrrpState(ctx, standby); state != "BACKUP" {
		errs = append(errs, fmt.Errorf("%s recorded %q as its state, want BACKUP", standby, state))
	}
	return errors.Join(errs...)
}

// checkLowerPriorityStorm plays keepalived's MASTER_RX_LOWER_PRI every 300 ms (it comes with
// each advert heard, every second, when VRRP is lost one way): the active member checks its
// identity, finds it whole and changes nothing.
func checkLowerPriorityStorm(ctx context.Context, t *Twin, p Pair) error {
	active, _ := t.active(p)
	if _, err := t.WaitOwner(ctx, p, active, t.opts.failoverLimit()); err != nil {
		return err
	}
	calls := len(t.APICalls())
	for range 10 {
		if err := t.queueEvents(ctx, active, "MASTER_RX_LOWER_PRI"); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A lower priority heard makes the active member check within its lower-priority gap (5 s),
	// always before its own interval.
	err := poll(ctx, t.checkInterval(active)+t.opts.quietWindow(), func() bool {
		return slices.ContainsFunc(t.APICalls()[calls:], func(c APICall) bool {
			return c.Member == active && c.Operation == "describe-network-interfaces"
		})
	})
	if err != nil {
		return fmt.Errorf("%s did not check its identity after hearing lower priorities", active)
	}
	if changes := t.changesBy(p, calls); len(changes) > 0 {
		return fmt.Errorf("lower priorities heard while the identity was whole made EC2 changes: %v", changes)
	}
	if owner, whole := t.Owner(p); owner != active || !whole {
		return fmt.Errorf("the identity moved: owner %q, whole %v", owner, whole)
	}
	t.logf("10 MASTER_RX_LOWER_PRI on %s: it read its identity, changed nothing", active)
	return nil
}

// moveRouteOutside points a table's default route to member, as a person or a tool outside the
// pair would.
func (t *Twin) moveRouteOutside(p Pair, member string) (string, error) {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	t.ec2.changing = p.AllocationID
	for _, table := range slices.Sorted(maps.Keys(t.ec2.record.routeTargets)) {
		if target := t.ec2.record.routeTargets[table]; slices.Contains(p.Members[:], target) {
			t.change(func(v *ec2View) { v.routeTargets[table] = member })
			return table, nil
		}
	}
	return "", fmt.Errorf("pair %s serves no route table", p.label())
}

func checkRouteMovedBack(ctx context.Context, t *Twin, p Pair) error {
	active, standby := t.active(p)
	table, err := t.moveRouteOutside(p, standby)
	if err != nil {
		return err
	}
	start := time.Now()
	t.logf("%s's default route moved to %s from outside the pair", table, standby)
	// The active member's next check finds it: one interval, then the describe lag and its calls.
	if _, err := t.WaitOwner(ctx, p, active, t.checkInterval(active)+t.opts.failoverLimit()); err != nil {
		return err
	}
	t.figuref(p, "a route moved from outside came back in %.1f s (identity checked every %v)", time.Since(start).Seconds(), t.checkInterval(active))
	return nil
}

// faultyTakeovers kills the active member as many times as the twin's Takeovers, with fault
// armed at each kill (none: an AWSFault without a Kind), and measures each takeover: the time to the first
// new connection and to a whole identity. Each must end whole; the killed member comes back as
// standby each time.
func faultyTakeovers(fault AWSFault) func(context.Context, *Twin, Pair) error {
	return func(ctx context.Context, t *Twin, p Pair) error {
		limit := t.opts.failoverLimit() + fault.For
		var firsts, wholes []time.Duration
		for range t.opts.takeovers() {
			active, standby := t.active(p)
			calls := len(t.APICalls())
			faulty := fault.Kind != 0
			if faulty {
				t.ArmAWSFaults(p, fault)
			}
			start := time.Now()
			if err := t.KillMember(ctx, active); err != nil {
				return err
			}
			first, err := t.waitNewConnectionsWithin(ctx, p, start, limit)
			if err != nil {
				return err
			}
			if _, err := t.WaitOwner(ctx, p, standby, limit); err != nil {
				return err
			}
			whole := time.Since(start)
			if fault.For > 0 && whole < fault.For {
				return fmt.Errorf("the identity was whole %v after the fault, while the endpoint was still unreachable", whole)
			}
			if faulty {
				if err := t.faultSeen(ctx, p, calls, start, fault); err != nil {
					return err
				}
			}
			firsts, wholes = append(firsts, first), append(wholes, whole)
			if err := t.ReviveMember(ctx, active); err != nil {
				return err
			}
			if err := pollEvery(ctx, t.opts.failoverLimit(), processPoll, func() bool { return t.vrrpState(ctx, active) == "BACKUP" }); err != nil {
				return fmt.Errorf("%s did not come back as standby", active)
			}
		}
		t.figuref(p, "with %s: %d takeover(s): first new connection median %.1f s, worst %.1f s; identity whole median %.1f s, worst %.1f s",
			fault, len(firsts), median(firsts).Seconds(), slices.Max(firsts).Seconds(), median(wholes).Seconds(), slices.Max(wholes).Seconds())
		return nil
	}
}

// faultSeen checks the fault did hit the takeover: throttled calls were refused; with the
// endpoint away the new active member published IdentityWhole 0, then 1 at a later check.
func (t *Twin) faultSeen(ctx context.Context, p Pair, calls int, since time.Time, fault AWSFault) error {
	if fault.Kind == Throttled {
		for _, c := range t.APICalls()[calls:] {
			if c.Err != nil && strings.Contains(c.Err.Error(), "RequestLimitExceeded") {
				return nil
			}
		}
		return errors.New("no call was throttled: the fault did not hit the takeover")
	}
	var values []float64
	owner, _ := t.Owner(p)
	err := poll(ctx, t.checkInterval(owner)+t.opts.failoverLimit(), func() bool {
		values = nil
		for _, m := range t.Metrics() {
			if m.Name == compute.IdentityWhole.Name && m.At.After(since) && slices.Contains(p.Members[:], m.Member) {
				values = append(values, m.Value)
			}
		}
		return slices.Contains(values, 0) && values[len(values)-1] == 1
	})
	if err != nil {
		return fmt.Errorf("IdentityWhole published %v, want a 0 while EC2 was unreachable, then 1", values)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
