package netns

import (
	"context"
	"strings"
	"testing"

	"nat-instance/netns/nstest"
)

// requireRoot skips where this machine cannot build namespaces (fails in CI).
func requireRoot(t *testing.T) {
	t.Helper()
	nstest.Require(t, "namespace tests", Available("ip", "unshare", "mount"))
}

// newNamespace adds a namespace of this process, deleted when the test ends.
func newNamespace(t *testing.T, role string) string {
	t.Helper()
	ns := NewPrefix() + role
	if _, err := Run(t.Context(), "ip", "netns", "add", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Delete(context.Background(), ns); err != nil {
			t.Error(err)
		}
	})
	return ns
}

// A missing command is named, so the reader knows what to install.
func TestAvailableNamesTheMissingCommand(t *testing.T) {
	requireRoot(t)
	err := Available("ip", "natlab-no-such-command")
	if err == nil || !strings.Contains(err.Error(), "natlab-no-such-command is not installed") {
		t.Errorf("Available with a missing command: %v", err)
	}
}

// Each set of namespaces gets its own prefix, under this process's pid.
func TestNewPrefixNamesEachSetApart(t *testing.T) {
	a, b := NewPrefix(), NewPrefix()
	if a == b || !strings.HasPrefix(a, Prefix) || !strings.HasSuffix(a, "-") {
		t.Errorf("two prefixes %q and %q: want distinct natlab-<pid>-<set>- names", a, b)
	}
}
