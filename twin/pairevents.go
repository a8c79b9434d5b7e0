package twin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"nat-instance/compute"
)

// takeoverAnnounced checks that a takeover since start reached CloudWatch through the AWS
// stand-in, from each member as it should: the new active member published a Takeovers datum
// for the pair and ActiveMember 1 for itself; the old one, if its keepalived still runs (a
// fault it noticed, not a death), ActiveMember 0. The stand-in checked each call against the
// member role's policy as it does EC2's.
func (t *Twin) takeoverAnnounced(ctx context.Context, p Pair, start time.Time, newActive, oldActive string) error {
	pair := map[string]string{compute.PairDimension: p.Name}
	member := func(name string) map[string]string {
		return map[string]string{compute.PairDimension: p.Name, compute.MemberDimension: name}
	}
	want := []MetricDatum{
		{Member: newActive, Name: compute.Takeovers.Name, Dimensions: pair, Value: 1},
		{Member: newActive, Name: compute.ActiveMember.Name, Dimensions: member(newActive), Value: 1},
	}
	if pids, err := t.processesNamed(ctx, oldActive, "keepalived"); err == nil && len(pids) != 0 {
		want = append(want, MetricDatum{Member: oldActive, Name: compute.ActiveMember.Name, Dimensions: member(oldActive), Value: 0})
	}
	missing := want
	// Both are sent in the background at the transition, one call after the other.
	_ = pollEvery(ctx, 2*t.opts.awsCallDelay()+commandTimeout, processPoll, func() bool {
		published := t.Metrics()
		missing = slices.DeleteFunc(slices.Clone(want), func(w MetricDatum) bool {
			return slices.ContainsFunc(published, func(m MetricDatum) bool {
				return m.At.After(start) && m.Member == w.Member && m.Namespace == compute.MetricsNamespace &&
					m.Name == w.Name && maps.Equal(m.Dimensions, w.Dimensions) && m.Value == w.Value
			})
		})
		return len(missing) == 0
	})
	if len(missing) != 0 {
		return fmt.Errorf("the takeover was not announced: missing %+v", missing)
	}
	t.logf("takeover announced: %d metric values from %s and %s", len(want), newActive, oldActive)
	return nil
}
