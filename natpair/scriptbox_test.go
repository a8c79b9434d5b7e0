package natpair

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scriptBox runs a member script against stand-ins of the commands it calls: each stand-in is a
// bash script in the box's directory, first on PATH, that records its call in the box's record.
type scriptBox struct {
	dir, record, env string
}

// newScriptBox writes the stand-ins (name -> body after the recording line) and a member's
// settings file whose run directory is the box.
func newScriptBox(t *testing.T, m Boot, stubs map[string]string) *scriptBox {
	t.Helper()
	b := &scriptBox{dir: t.TempDir()}
	b.record = filepath.Join(b.dir, "calls")
	for name, body := range stubs {
		script := "#!/bin/bash\necho \"" + name + " $*\" >>" + b.record + "\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(b.dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.env = filepath.Join(b.dir, "env")
	env := strings.ReplaceAll(memberEnv(m), "NAT_RUN_DIR="+RunDir, "NAT_RUN_DIR="+b.dir)
	env = strings.ReplaceAll(env, "NAT_CONNTRACKD_CONF="+ConntrackdPath, "NAT_CONNTRACKD_CONF="+b.dir+"/conntrackd.conf")
	if err := os.WriteFile(b.env, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// command runs script with args, the stand-ins first on PATH.
func (b *scriptBox) command(script string, args ...string) *exec.Cmd {
	cmd := exec.Command("bash", append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+b.dir+":"+os.Getenv("PATH"), "NAT_PAIR_ENV="+b.env)
	return cmd
}

// calls returns the recorded calls, in order, but for logging.
func (b *scriptBox) calls() []string {
	data, _ := os.ReadFile(b.record)
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(line, "logger ") {
			out = append(out, line)
		}
	}
	return out
}

// count is how many recorded calls start with prefix.
func (b *scriptBox) count(prefix string) int {
	n := 0
	for _, c := range b.calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// waitFor waits until n recorded calls start with prefix, at most limit (the scripts' own
// timers make it come; the limit only ends a test that would hang).
func (b *scriptBox) waitFor(t *testing.T, prefix string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for b.count(prefix) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %d calls %q within %v; calls:\n%s", n, prefix, limit, strings.Join(b.calls(), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
