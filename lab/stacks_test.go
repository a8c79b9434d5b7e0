package lab

import (
	"testing"

	"nat-instance/mockgraph"
)

// Every stack file in the repository deploys: a stack cannot be added without running here.
func TestEveryStackFileDeploys(t *testing.T) {
	stacks, err := mockgraph.Stacks("..")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks %v: %v", stacks, err)
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			cfg, err := mockgraph.StackConfig("..", stack)
			if err != nil {
				t.Fatal(err)
			}
			g, err := mockgraph.Run(Program, cfg, mockgraph.Options{Stack: stack})
			if err != nil {
				t.Fatalf("stack %s: %v", stack, err)
			}
			if len(g.OfType(tInstance)) == 0 || g.Outputs["natPublicIp"] == nil {
				t.Errorf("stack %s built no NAT instance", stack)
			}
		})
	}
}
