package twin

import (
	"context"
	"runtime"

	"golang.org/x/sync/semaphore"
)

// A NAT pair member is the costly part of a twin: its keepalived forks the health script every
// second (bash, then nft), conntrackd keeps its sync channel alive, and a takeover starts a dozen
// processes. On a machine where a process start costs 4.5 ms, a hundred members at once left
// keepalived's own health checks timing out: members went to FAULT and no pair became whole.
// So the members running at once are bounded by the CPUs, not by how many checks were asked.
//
// membersPerCPU: an idle member cost about 4 % of a core (keepalived and conntrackd with their
// children, over 20 s, on a busy 2-core machine) and several times that while it takes over,
// and each pair check's twin adds its flows (a dozen bulk exchanges every 10 ms). With eight
// per core, runs on a machine whose load average was above 10 from other work saw the members'
// 2 s health checks time out; four per core leave the checks their timers.
const membersPerCPU = 4

// memberBudget is shared by every twin of the process.
var memberBudget = semaphore.NewWeighted(membersAtOnce())

func membersAtOnce() int64 { return int64(membersPerCPU * runtime.NumCPU()) }

// reserveMembers waits until n more members may run and returns the release. A twin with more
// members than the whole budget takes the whole budget, alone.
func reserveMembers(ctx context.Context, n int) (release func(), err error) {
	weight := min(int64(n), membersAtOnce())
	if weight <= 0 {
		return func() {}, nil
	}
	if err := memberBudget.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	return func() { memberBudget.Release(weight) }, nil
}
