package netns

import (
	"os"
	"strings"
	"testing"
)

// A boot command runs in the namespace with its arguments, and what it writes under /etc stays
// out of this machine's /etc.
func TestRunBootKeepsEtcPrivate(t *testing.T) {
	requireRoot(t)
	ns := newNamespace(t, "boot")
	const file = "/etc/natlab-boot-test"
	t.Cleanup(func() { _ = os.Remove(file) }) // only there if the test fails
	boot := &BootCommand{
		Script: []byte("#!/bin/bash\nset -e\necho \"args: $*\"\necho persisted >" + file + "\ncat " + file + "\nip -o link | wc -l\n"),
		Args:   []string{"10.40.0.0/16", "two"},
	}
	out, err := RunBoot(t.Context(), ns, boot)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// A fresh namespace has one link, lo.
	if want := "args: 10.40.0.0/16 two\npersisted\n1\n"; out != want {
		t.Errorf("boot printed %q, want %q", out, want)
	}
	if b, err := os.ReadFile(file); err == nil {
		t.Errorf("the boot script wrote this machine's %s: %q", file, strings.TrimSpace(string(b)))
	}
}
