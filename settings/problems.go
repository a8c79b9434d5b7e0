package settings

import (
	"fmt"
	"strings"
)

// Problem is one mistake in the stack configuration.
type Problem struct {
	Key   string // without the namespace, e.g. "vpcCidr"
	Value string
	Want  string // what is allowed
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%s = %q: %s", Namespace, p.Key, p.Value, p.Want)
}

// Problems collects every mistake so the user can fix them all in one go.
type Problems []Problem

func (p *Problems) add(key, value, want string) {
	*p = append(*p, Problem{Key: key, Value: value, Want: want})
}

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, problem := range p {
		lines[i] = "  - " + problem.String()
	}
	return fmt.Sprintf("invalid stack configuration (%d problem(s)); nothing was created:\n%s",
		len(p), strings.Join(lines, "\n"))
}

func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}
