package lab

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"testing"

	"nat-instance/mockgraph"
)

var updateDevGraph = flag.Bool("update-dev-graph", false, "rewrite testdata/dev-graph.json from the program")

// devGraphFile is the dev stack's graph as the program registered it before NAT pairs existed,
// with what keeps a running stack from moving (docs/updating.md): written by
// this test with -update-dev-graph from that program, never by hand.
const devGraphFile = "testdata/dev-graph.json"

// The lab (Pulumi.dev.yaml, natHighAvailability off) registers the very same graph as before:
// every resource with its type, name, parent, options and inputs, and every output.
func TestDevStackGraphIsUnchanged(t *testing.T) {
	cfg, err := mockgraph.StackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	g, err := mockgraph.Run(Program, cfg, mockgraph.Options{Stack: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := json.MarshalIndent(map[string]any{"resources": g.Resources, "outputs": g.Outputs}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if *updateDevGraph {
		if err := os.WriteFile(devGraphFile, append(recorded, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(devGraphFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(recorded, '\n'), want) {
		t.Errorf("the dev stack's graph differs from %s; if the change to the lab is intended, rerun with -update-dev-graph and review the diff", devGraphFile)
	}
	// What a stack keeps from its creation (docs/updating.md): the image until
	// it is pinned, the zone the program picked.
	kept := map[string]string{"aws:ec2/instance:Instance": "ami", "aws:ec2/subnet:Subnet": "availabilityZone"}
	for _, r := range g.Resources {
		if r.Type == "nat-instance:compute:NatPair" || slices.ContainsFunc(r.IgnoreChanges, func(p string) bool { return p != kept[r.Type] }) {
			t.Errorf("dev stack registers %s %s (ignoreChanges %v): the lab has a single NAT instance, fully owned by Pulumi", r.Type, r.Name, r.IgnoreChanges)
		}
	}
}
