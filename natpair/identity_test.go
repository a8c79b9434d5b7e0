package natpair

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEC2 stands in for the AWS CLI: a tiny EC2 in files of its directory (address: the
// interfaces holding the floating address; eip: interface and address of the association;
// route.RTB: a table's target) answering the identity check's calls as the CLI prints their
// --query results as text. fail.OPERATION.KEY holds how many more such calls fail.
const fakeEC2 = `dir=$(dirname "$0")
value() { local want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
fails() {
	local f=$dir/fail.$1 n
	[ -r "$f" ] || return 1
	read -r n <"$f"
	[ "$n" -gt 0 ] || return 1
	echo $((n - 1)) >"$f"
	echo "An error occurred (RequestLimitExceeded) when calling the operation: Request limit exceeded." >&2
	exit 254
}
case " $* " in
*" assign-private-ip-addresses "*) fails assign; value --network-interface-id "$@" >"$dir/address" ;;
*" associate-address "*) fails associate; printf '%s\t%s\n' "$(value --network-interface-id "$@")" "$(value --private-ip-address "$@")" >"$dir/eip" ;;
*" replace-route "*) rtb=$(value --route-table-id "$@"); fails "route.$rtb"; value --network-interface-id "$@" >"$dir/route.$rtb" ;;
*" describe-network-interfaces "*) cat "$dir/address" ;;
*" describe-addresses "*) cat "$dir/eip" ;;
*" describe-route-tables "*)
	shift 0
	for rtb in rtb-1 rtb-2; do printf '%s\t%s\n' "$rtb" "$(cat "$dir/route.$rtb")"; done ;;
*" put-metric-data "*) echo "metric $(value --value "$@")" >>"$dir/calls" ;;
*) echo "fake EC2: unexpected call $*" >&2; exit 252 ;;
esac`

const (
	selfENI  = "eni-0a"
	otherENI = "eni-0b"
	mutating = "aws --region eu-west-3 --cli-connect-timeout 2 --cli-read-timeout 5 ec2 " // then the operation
)

// identityBox is a member active with everything on otherENI (or on itself when whole), its
// identity check running in mode.
func identityBox(t *testing.T, higher bool, holder, mode string) *scriptBox {
	t.Helper()
	m := testMember(higher)
	b := newScriptBox(t, m, map[string]string{"aws": fakeEC2, "conntrackd": "exit 0", "logger": "exit 0"})
	env, _ := os.ReadFile(b.env)
	// One check a second: the script's own interval, shortened for the test.
	env = []byte(strings.Replace(string(env), fmt.Sprintf("NAT_CHECK_INTERVAL=%d", CheckInterval), "NAT_CHECK_INTERVAL=1", 1))
	files := map[string]string{"env": string(env), "vrrp-state": "MASTER 1\n", "address": holder + "\n",
		"eip": holder + "\t10.40.1.100\n", "route.rtb-1": holder + "\n", "route.rtb-2": holder + "\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(b.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := b.command(IdentityScript, "nat-pair-identity", mode, fmt.Sprint(os.Getpid()))
	check.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := check.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-check.Process.Pid, syscall.SIGTERM)
		_ = check.Wait()
	})
	return b
}

// changes counts the EC2 changes the check made, by operation.
func changes(b *scriptBox) map[string]int {
	out := map[string]int{}
	for _, c := range b.calls() {
		if rest, ok := strings.CutPrefix(c, mutating); ok {
			if op := strings.Fields(rest)[0]; !strings.HasPrefix(op, "describe-") {
				out[op]++
			}
		}
	}
	return out
}

const checks = "aws --region eu-west-3 --cli-connect-timeout 2 --cli-read-timeout 5 ec2 describe-route-tables"

// A takeover from a member that is gone: the address and both routes at once, the Elastic IP
// after the address; then checks that find the identity whole change nothing, however many
// lower priorities are heard.
func TestNatPairIdentityTakesOverThenOnlyReads(t *testing.T) {
	t.Parallel()
	b := identityBox(t, true, otherENI, "takeover")
	b.waitFor(t, "metric 1", 1, 30*time.Second)
	b.waitFor(t, checks, 3, 30*time.Second)
	want := map[string]int{"assign-private-ip-addresses": 1, "associate-address": 1, "replace-route": 2}
	if got := changes(b); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	pid, _ := os.ReadFile(filepath.Join(b.dir, "identity", "ready"))
	var ready int
	fmt.Sscan(string(pid), &ready)
	// A first check that read EC2 before the takeover's changes showed may have published a 0
	// before the 1: what is published is counted from here.
	published := b.count("metric ")
	for range 5 {
		_ = syscall.Kill(ready, syscall.SIGUSR1)
		time.Sleep(200 * time.Millisecond)
	}
	b.waitFor(t, checks, 5, 30*time.Second)
	if got := changes(b); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after lower priorities were heard: changes %v, want still %v", got, want)
	}
	if n := b.count("metric ") - published; n != 0 {
		t.Errorf("%d metric values published while the identity stayed whole, want none: IdentityWhole is sent when it changes (or each minute)", n)
	}
}

// A route refused twice (throttled past the CLI's own retries) is moved by a later check, and
// the identity is then whole.
func TestNatPairIdentityRetriesARefusedRoute(t *testing.T) {
	t.Parallel()
	b := identityBox(t, true, otherENI, "takeover")
	if err := os.WriteFile(filepath.Join(b.dir, "fail.route.rtb-2"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "metric 1", 1, 60*time.Second)
	route, _ := os.ReadFile(filepath.Join(b.dir, "route.rtb-2"))
	if got := changes(b)["replace-route"]; strings.TrimSpace(string(route)) != selfENI || got != 4 {
		t.Errorf("rtb-2 targets %q after %d replace-route calls, want %s after 4 (rtb-1 once, rtb-2 refused twice then done)", route, got, selfENI)
	}
	if b.count("metric 0") < 1 {
		t.Error("no IdentityWhole 0 published while the route was elsewhere")
	}
}

// In a split brain the higher priority takes the address back at its next check; the lower
// one, which held it, leaves it to the live holder for six checks before claiming it again.
func TestNatPairIdentitySplitBrain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		higher bool
		before int // checks that find the address elsewhere before it is claimed
	}{{true, 1}, {false, 7}} {
		// (A check reading while the address moves may see it before or after: one more.)
		t.Run(fmt.Sprintf("higher priority %v", tc.higher), func(t *testing.T) {
			t.Parallel()
			b := identityBox(t, tc.higher, selfENI, "verify")
			b.waitFor(t, "metric 1", 1, 30*time.Second)
			if err := os.WriteFile(filepath.Join(b.dir, "address"), []byte(otherENI+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			seen := b.count(checks)
			b.waitFor(t, mutating+"assign-private-ip-addresses", 1, 60*time.Second)
			if n := b.count(checks) - seen; n < tc.before || n > tc.before+1 {
				t.Errorf("the address was claimed back after %d checks that found it elsewhere, want %d", n, tc.before)
			}
		})
	}
}

// A member that is no longer active (keepalived's last state, as nat-pair-notify recorded it)
// makes no call at all.
func TestNatPairIdentityStopsWhenNotActive(t *testing.T) {
	t.Parallel()
	b := newScriptBox(t, testMember(true), map[string]string{"aws": fakeEC2, "logger": "exit 0"})
	if err := os.WriteFile(filepath.Join(b.dir, "vrrp-state"), []byte("BACKUP 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := b.command(IdentityScript, "nat-pair-identity", "takeover", fmt.Sprint(os.Getpid())).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := b.count("aws "); n != 0 {
		t.Errorf("%d AWS calls from a member that is not active:\n%s", n, strings.Join(b.calls(), "\n"))
	}
}
