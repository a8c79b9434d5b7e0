package compute

import "testing"

// The metrics script refuses a missing or malformed namespace before it asks anything of the
// instance or of CloudWatch. (What it publishes is checked in the network twin.)
func TestMetricsScriptRejectsBadArguments(t *testing.T) {
	checkRejects(t, NatMetricsScript, "nat-instance-metrics", []badArguments{
		{nil, "usage: nat-instance-metrics CLOUDWATCH_NAMESPACE"},
		{[]string{"NatInstance", "extra"}, "usage: nat-instance-metrics CLOUDWATCH_NAMESPACE"},
		{[]string{`Nat"Instance`}, `namespace 'Nat"Instance' has characters CloudWatch does not accept`},
		{[]string{"Nat Instance"}, "has characters CloudWatch does not accept"},
	})
}
