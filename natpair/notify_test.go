package natpair

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"nat-instance/compute"
)

// notifyStubs stand in for what nat-pair-notify calls; the identity check records how it was
// started and the signals it gets.
var notifyStubs = map[string]string{
	"conntrackd": "exit 0",
	"aws":        "exit 0",
	"logger":     "exit 0",
	"ip":         `[ "$1" = -4 ] && echo 'default via 10.40.1.1 dev ens5'; exit 0`,
	"nat-pair-identity": `dir=$(dirname "$0")
trap 'echo "nat-pair-identity got USR1" >>"$dir/calls"' USR1
trap 'echo "nat-pair-identity stopped" >>"$dir/calls"; exit 0' TERM
mkdir -p "$dir/identity" && echo $$ >"$dir/identity/ready"
while :; do sleep 0.05 & wait $!; done`,
}

// notifyAgent starts nat-pair-notify on a FIFO, as keepalived does, and returns the box and the
// FIFO to write events to.
func notifyAgent(t *testing.T) (*scriptBox, *os.File) {
	t.Helper()
	b := newScriptBox(t, testMember(true), notifyStubs)
	path := filepath.Join(b.dir, "notify.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	agent := b.command(NotifyScript, "nat-pair-notify", path)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		_ = agent.Wait()
		fifo.Close()
	})
	return b, fifo
}

func event(t *testing.T, fifo *os.File, states ...string) {
	t.Helper()
	var lines string
	for _, s := range states {
		lines += `INSTANCE "nat" ` + s + " 150\n"
	}
	if _, err := fifo.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}

const conntrackd = "conntrackd -C /" // a conntrackd call, whatever the configuration's path

// The agent acts on keepalived's events in order: a takeover in conntrack-tools' primary-backup
// order before the floating address and the identity check; the check is told, not restarted,
// when lower priorities are heard; a BACKUP ends it and drops the address.
func TestNatPairNotifyTransitions(t *testing.T) {
	b, fifo := notifyAgent(t)
	const limit = 10 * time.Second // the agent reads at once; only a hung test waits this long
	put := "aws --region eu-west-3 --cli-connect-timeout 2 --cli-read-timeout 5 cloudwatch put-metric-data --namespace " + compute.MetricsNamespace
	standby := put + " --metric-name ActiveMember --dimensions NatPair=nat-instance,Member=nat-instance-a --value 0"
	event(t, fifo, "BACKUP")
	b.waitFor(t, conntrackd, 2, limit)
	b.waitFor(t, standby, 1, limit) // announced in the background: before the takeover's calls are counted
	before := len(b.calls())
	event(t, fifo, "MASTER")
	b.waitFor(t, "nat-pair-identity takeover", 1, limit)
	takeover := b.calls()[before:]
	dir := b.dir + "/conntrackd.conf"
	want := []string{"conntrackd -C " + dir + " -c", "conntrackd -C " + dir + " -f", "conntrackd -C " + dir + " -R",
		"conntrackd -C " + dir + " -B", "ip addr replace 10.40.1.100/24 dev ens5", "nat-pair-identity takeover "}
	// In this order; the identity check also gets the agent's pid.
	if len(takeover) < len(want) || !slices.EqualFunc(takeover[:len(want)], want, strings.HasPrefix) {
		t.Errorf("takeover\n %s\nwant\n %s", strings.Join(takeover, "\n "), strings.Join(want, "\n "))
	}
	b.waitFor(t, put+" --metric-name Takeovers --dimensions NatPair=nat-instance --value 1", 1, limit)
	b.waitFor(t, put+" --metric-name ActiveMember --dimensions NatPair=nat-instance,Member=nat-instance-a --value 1", 1, limit)
	for range 5 {
		event(t, fifo, "MASTER_RX_LOWER_PRI")
		time.Sleep(50 * time.Millisecond)
	}
	b.waitFor(t, "nat-pair-identity got USR1", 1, limit)
	event(t, fifo, "BACKUP")
	b.waitFor(t, "ip addr del 10.40.1.100/24 dev ens5", 1, limit)
	b.waitFor(t, "nat-pair-identity stopped", 1, limit)
	// Standby at boot, then after the takeover: ActiveMember 0 twice; one takeover in all.
	b.waitFor(t, standby, 2, limit)
	if n := b.count("nat-pair-identity takeover"); n != 1 {
		t.Errorf("the identity check started %d times, want once: lower priorities heard must not restart a takeover", n)
	}
	if n := b.count(put + " --metric-name Takeovers"); n != 1 {
		t.Errorf("%d takeovers published, want one: lower priorities heard are no takeover", n)
	}
}

// Of events queued while the agent was busy the last state counts: a MASTER followed by a BACKUP
// changes nothing on a backup (no address, no identity check, no EC2 call).
func TestNatPairNotifyStaleMaster(t *testing.T) {
	b, fifo := notifyAgent(t)
	const limit = 10 * time.Second
	event(t, fifo, "BACKUP")
	b.waitFor(t, conntrackd, 2, limit)
	event(t, fifo, "MASTER", "BACKUP")
	// The agent handles a batch before the next line: a FAULT after it shows it was handled.
	event(t, fifo, "FAULT")
	b.waitFor(t, conntrackd, 3, limit)
	for _, c := range b.calls() {
		if strings.HasPrefix(c, "ip addr replace") || strings.HasPrefix(c, "nat-pair-identity") {
			t.Errorf("a stale MASTER was acted on: %q\ncalls:\n%s", c, strings.Join(b.calls(), "\n"))
		}
	}
	state, _ := os.ReadFile(b.dir + "/vrrp-state")
	if !strings.HasPrefix(string(state), "FAULT ") {
		t.Errorf("state file %q, want the last state acted on, FAULT", state)
	}
}
