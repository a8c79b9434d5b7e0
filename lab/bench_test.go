package lab

import (
	"testing"

	"nat-instance/mockgraph"
)

// BenchmarkProgram times one full program run under mocks: config, checks, every resource.
func BenchmarkProgram(b *testing.B) {
	cfg := config()
	for b.Loop() {
		if _, err := mockgraph.Run(Program, cfg, mockgraph.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
