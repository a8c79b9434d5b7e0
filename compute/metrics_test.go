package compute

import (
	"os/exec"
	"strings"
	"testing"
)

// The metrics script refuses a missing or malformed namespace before it asks anything of the
// instance or of CloudWatch, with a message the journal would show.
func TestMetricsScriptRejectsBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: nat-instance-metrics CLOUDWATCH_NAMESPACE"},
		{[]string{"NatInstance", "extra"}, "usage: nat-instance-metrics CLOUDWATCH_NAMESPACE"},
		{[]string{`Nat"Instance`}, `namespace 'Nat"Instance' has characters CloudWatch does not accept`},
		{[]string{"Nat Instance"}, "has characters CloudWatch does not accept"},
	} {
		cmd := exec.Command("bash", append([]string{"-s", "--"}, tc.args...)...)
		cmd.Stdin = strings.NewReader(NatMetricsScript)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("args %q: script succeeded, want a failure", tc.args)
		}
		if !strings.Contains(string(out), "nat-instance-metrics: ") || !strings.Contains(string(out), tc.want) {
			t.Errorf("args %q: output %q, want %q", tc.args, out, tc.want)
		}
	}
}
