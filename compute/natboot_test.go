package compute

import (
	"os/exec"
	"strings"
	"testing"
)

// The boot script refuses bad input before it touches the system, with a message that
// `systemctl status` would show. (Its real work runs in the network twin's namespaces.)
func TestBootScriptRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: nat-instance-setup VPC_CIDR"},
		{[]string{"10.40.0.0/16", "extra"}, "usage: nat-instance-setup VPC_CIDR"},
		{[]string{"10.40.0.0"}, "VPC CIDR '10.40.0.0' is not an IPv4 prefix"},
		{[]string{"10.40.0.0/16; reboot"}, "is not an IPv4 prefix"},
	} {
		cmd := exec.Command("bash", append([]string{"-s", "--"}, tc.args...)...)
		cmd.Stdin = strings.NewReader(NatBootScript)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("args %q: script succeeded, want a failure", tc.args)
		}
		if !strings.Contains(string(out), "nat-instance-setup: ") || !strings.Contains(string(out), tc.want) {
			t.Errorf("args %q: output %q, want %q", tc.args, out, tc.want)
		}
	}
}
