package twin

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The negative control probes every private instance at once, and still reports each one that
// does reach the internet: on a working lab it fails, naming them all.
func TestNoEgressCheckFailsOnAWorkingLab(t *testing.T) {
	t.Parallel()
	requireNamespaces(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tw, err := Up(ctx, devLab(t).Topology, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tw.Close()
	if err := tw.BootNATs(ctx); err != nil {
		t.Fatal(err)
	}
	err = tw.CheckNoEgress(ctx)
	if err == nil {
		t.Fatal("CheckNoEgress passed on a lab whose private instances reach the internet")
	}
	for _, p := range tw.privateInstances() {
		for _, want := range []string{p.Name + " reaches the internet host", p.Name + " reaches the check-IP service"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("CheckNoEgress said %q, want %q among its errors", err, want)
			}
		}
	}
}
