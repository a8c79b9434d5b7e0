package twin

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Twins that ask for members never run more at once than the budget, and a twin larger than the
// whole budget still runs, alone.
func TestMemberBudgetBoundsWhatRunsAtOnce(t *testing.T) {
	var running, most atomic.Int64
	var wg sync.WaitGroup
	for _, n := range []int{6, 6, 2, 2, 6, 200, 0, 6, 2} {
		wg.Go(func() {
			release, err := reserveMembers(t.Context(), n)
			if err != nil {
				t.Error(err)
				return
			}
			now := running.Add(int64(min(int64(n), membersAtOnce())))
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-int64(min(int64(n), membersAtOnce())))
			release()
		})
	}
	wg.Wait()
	if most.Load() > membersAtOnce() {
		t.Errorf("%d members ran at once, the budget is %d", most.Load(), membersAtOnce())
	}
	if most.Load() < membersAtOnce() {
		t.Errorf("at most %d members ran at once: the twin larger than the budget (%d) did not get it whole", most.Load(), membersAtOnce())
	}
}

// A wait for the budget ends with the caller's context.
func TestMemberBudgetWaitEndsWithTheContext(t *testing.T) {
	release, err := reserveMembers(t.Context(), int(membersAtOnce()))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := reserveMembers(ctx, 1); err == nil {
		t.Fatal("a member was granted beyond the budget")
	}
}

// Read-only checks share one twin, pair checks share twins one pair each, the rest run alone, a
// pair check that changes the topology too.
func TestChecksShareTwinsWhereTheyCan(t *testing.T) {
	look := func(context.Context, *Twin, Expectation) error { return nil }
	onPair := func(context.Context, *Twin, Pair) error { return nil }
	checks := []Check{
		{Name: "egress", ReadOnly: true, Run: look},
		{Name: "pair 1", OnPair: onPair},
		{Name: "control", Change: withoutBoot, Run: look},
		{Name: "inbound", ReadOnly: true, Run: look},
		{Name: "pair 2", OnPair: onPair},
		{Name: "pair 3", OnPair: onPair},
		{Name: "read-only control", ReadOnly: true, Change: withoutBoot, Run: look},
		{Name: "pair 4", OnPair: onPair},
		{Name: "pair control", Change: withTrackedPairGroup, OnPair: onPair},
	}
	for _, c := range []struct {
		pairs int
		want  [][]int
	}{
		{3, [][]int{{2}, {1, 4, 5}, {6}, {8}, {0, 3}, {7}}},
		{1, [][]int{{1}, {2}, {4}, {5}, {6}, {7}, {8}, {0, 3}}},
		{0, [][]int{{1}, {2}, {4}, {5}, {6}, {7}, {8}, {0, 3}}},
	} {
		got := groupChecks(checks, c.pairs)
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%d pair(s): groups %v, want %v", c.pairs, got, c.want)
		}
	}
}
