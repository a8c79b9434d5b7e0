package twin

import (
	"context"
	"os"
	"testing"
	"time"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// requireNamespaces skips where the machine cannot make network namespaces, except in CI, which
// runs as root and must run these tests.
func requireNamespaces(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the network twin: %v", err)
		}
		t.Skipf("network twin not run: %v", err)
	}
}

// runLab builds the twin of a stack config from the program and runs every lab check on it.
func runLab(t *testing.T, stack string, cfg map[string]string) {
	t.Helper()
	requireNamespaces(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := LabFor(lab.Program, stack, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range RunChecks(ctx, l, LabChecks(l.Topology)) {
		if r.Err != nil {
			t.Errorf("%s: %v\ntranscript:\n%s", r.Check, r.Err, r.Transcript)
		} else {
			t.Logf("%s: ok\n%s", r.Check, r.Transcript)
		}
	}
}

// Every stack file of the repository gets the twin's checks.
func TestTwinOfEveryStackFile(t *testing.T) {
	stacks, err := mockgraph.Stacks("..")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks %v: %v", stacks, err)
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			cfg, err := mockgraph.StackConfig("..", stack)
			if err != nil {
				t.Fatal(err)
			}
			runLab(t, stack, cfg)
		})
	}
}
