package twin

import (
	"testing"

	"nat-instance/mockgraph"
)

// NAT pairs, built from the program's graph: every lab check and the fault matrix of issue 7,
// each on a twin of its own, for the production stack file (perZone, three pairs) with pairs on
// and for a single NAT serving two zones. Not parallel with the other twin tests: its many daemons
// would stretch their one-second probes on a small machine.
func TestTwinOfNATPairs(t *testing.T) {
	prod, err := mockgraph.StackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	prod["nat-instance:natHighAvailability"] = "true"
	for name, cfg := range map[string]map[string]string{
		"prod, pairs on": prod,
		"single NAT for two zones, pairs on": {"aws:region": "ap-northeast-2", "nat-instance:natHighAvailability": "true",
			"nat-instance:zoneCount": "2", "nat-instance:natStrategy": "single", "nat-instance:privateInstanceIps": `["10.40.2.10","10.40.4.10"]`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runLab(t, "test", cfg)
		})
	}
}
