package e2e

import (
	"fmt"
	"time"
)

// What a run needs, estimated (it has never run against AWS): `pulumi up` of the lab takes a few
// minutes, the first private instance may take up to 15 to come online in Session Manager, the
// checks and the second preview a few more; `pulumi destroy` waits for instances to terminate
// and interfaces and addresses to go.
const (
	minWork        = 25 * time.Minute // up, Session Manager, checks, second preview
	cleanupReserve = 20 * time.Minute // destroy and stack removal
	// margin leaves Go time to report the test's end before its own -timeout panic, which skips
	// t.Cleanup.
	margin = 2 * time.Minute
	// noDeadlineWork is the work's share when the test runs without a deadline (-timeout 0).
	noDeadlineWork = 45 * time.Minute
)

// timeBudget is when the test's work must stop, and how long the clean-up may take after it.
type timeBudget struct {
	workUntil time.Time
	cleanup   time.Duration
}

// planTime splits the time until the test's deadline (testing.T.Deadline) between the work and
// the clean-up, keeping the clean-up's share whole: it fails when the deadline leaves the work
// less than it needs, before anything is created.
func planTime(now, deadline time.Time, hasDeadline bool) (timeBudget, error) {
	if !hasDeadline {
		return timeBudget{workUntil: now.Add(noDeadlineWork), cleanup: cleanupReserve}, nil
	}
	workUntil := deadline.Add(-margin - cleanupReserve)
	if left := workUntil.Sub(now); left < minWork {
		need := minWork + cleanupReserve + margin
		return timeBudget{}, fmt.Errorf("the test's deadline is %s away, which leaves %s for the work; it needs %s for the work, %s to clean up and %s to spare: run it with -timeout %dm or more",
			deadline.Sub(now).Round(time.Second), left.Round(time.Second), minWork, cleanupReserve, margin, int(need.Minutes()))
	}
	return timeBudget{workUntil: workUntil, cleanup: cleanupReserve}, nil
}
