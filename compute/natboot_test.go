package compute

import (
	"os/exec"
	"strings"
	"testing"
)

// badArguments is a script's command line and the message it must fail with.
type badArguments struct {
	args []string
	want string
}

// checkRejects runs script with each bad command line: it must fail, with its own prefix and
// the expected message (what `systemctl status` or the journal would show).
func checkRejects(t *testing.T, script, prefix string, cases []badArguments) {
	t.Helper()
	for _, tc := range cases {
		cmd := exec.Command("bash", append([]string{"-s", "--"}, tc.args...)...)
		cmd.Stdin = strings.NewReader(script)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("args %q: script succeeded, want a failure", tc.args)
		}
		if !strings.Contains(string(out), prefix+": ") || !strings.Contains(string(out), tc.want) {
			t.Errorf("args %q: output %q, want %q", tc.args, out, tc.want)
		}
	}
}

// The boot script refuses bad input before it touches the system. (Its real work runs in the
// network twin's namespaces.)
func TestBootScriptRejectsBadArguments(t *testing.T) {
	checkRejects(t, NatBootScript, "nat-instance-setup", []badArguments{
		{nil, "usage: nat-instance-setup VPC_CIDR"},
		{[]string{"10.40.0.0/16", "extra"}, "usage: nat-instance-setup VPC_CIDR"},
		{[]string{"10.40.0.0"}, "VPC CIDR '10.40.0.0' is not an IPv4 prefix"},
		{[]string{"10.40.0.0/16; reboot"}, "is not an IPv4 prefix"},
	})
}
