package twin

import "testing"

// NAT pairs, built from the program's graph: every lab check and every check of PairChecks, the
// checks of the members' code included, for a single NAT serving two zones (the production stack
// file, perZone with a pair in each of three zones, is checked with every stack file, with the
// checks that depend on the topology; `labtwin -stack prod` runs them all there).
func TestTwinOfNATPairs(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]map[string]string{
		"single NAT for two zones, pairs on": {"aws:region": "ap-northeast-2", "nat-instance:natHighAvailability": "true",
			"nat-instance:zoneCount": "2", "nat-instance:natStrategy": "single", "nat-instance:privateInstanceIps": `["10.40.2.10","10.40.4.10"]`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runLab(t, "test", cfg, true)
		})
	}
}
