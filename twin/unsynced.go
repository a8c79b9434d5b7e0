package twin

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
)

// resetCounter counts, on the internet host, the TCP resets that arrive from a pair's Elastic IP.
// A member that takes over flows it never synced must drop their packets quietly: a reset would
// end a connection that conntrackd might still have brought over, and tells the server at once
// what a silent drop leaves to its own timeout.
type resetCounter struct {
	t     *Twin
	table string
}

var resetCount = regexp.MustCompile(`counter packets (\d+)`)

// countResets starts counting the resets from p's Elastic IP, in a table of the pair's own.
func (t *Twin) countResets(ctx context.Context, p Pair) (*resetCounter, error) {
	table := "twin_resets_" + unsafeName.ReplaceAllString(p.Members[0], "_")
	return &resetCounter{t, table}, nftIn(ctx, t.internet(), fmt.Sprintf(`table ip %s {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr %s tcp flags & rst == rst counter
	}
}
`, table, p.ElasticIP))
}

// resets is how many resets arrived so far.
func (c *resetCounter) resets(ctx context.Context) (int, error) {
	out, err := execIn(ctx, c.t.internet(), "nft", "list", "table", "ip", c.table)
	m := resetCount.FindStringSubmatch(out)
	if err != nil || m == nil {
		return 0, fmt.Errorf("reading %s: %v: %s", c.table, err, out)
	}
	return strconv.Atoi(m[1])
}
