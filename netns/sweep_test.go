package netns

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// A sweep removes the namespaces of a process that is gone, with the daemons still running in
// them, and leaves those of live processes; RemoveOwn then removes this process's own.
func TestRemoveLeftoversTakesOnlyWhatDeadRunsLeft(t *testing.T) {
	requireRoot(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("%s%d-1-sweep", Prefix, gone.Process.Pid)
	if _, err := Run(t.Context(), "ip", "netns", "add", dead); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Delete(context.Background(), dead) })
	own := newNamespace(t, "sweep")

	// A daemon left running in the dead run's namespace (started without DiesWithParent, as a
	// crashed run's daemon outlives it).
	daemon := exec.Command("ip", "netns", "exec", dead, "sh", "-c", "echo in; exec sleep 600")
	stdout, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = daemon.Process.Kill() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "in\n" {
		t.Fatalf("the daemon did not start in %s: %q %v", dead, line, err)
	}

	removed, err := RemoveLeftovers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(removed, dead) || slices.Contains(removed, own) {
		t.Errorf("removed %v: want %s and not %s", removed, dead, own)
	}
	if _, err := os.Stat("/run/netns/" + dead); err == nil {
		t.Errorf("%s is still there", dead)
	}
	if _, err := os.Stat("/run/netns/" + own); err != nil {
		t.Errorf("the sweep removed a live process's namespace: %v", err)
	}
	// Killed before RemoveLeftovers returned: reaped, or a zombie until this test reaps it.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", daemon.Process.Pid)); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("the daemon in %s still runs: %s", dead, stat)
	} else if _ = daemon.Wait(); daemon.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the daemon in %s ended with %v, want killed", dead, daemon.ProcessState)
	}

	removed, err = RemoveOwn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(removed, own) {
		t.Errorf("RemoveOwn removed %v, want %s among them", removed, own)
	}
}
