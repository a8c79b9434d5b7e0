package twin

import (
	"flag"
	"os"
	"strconv"
	"testing"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// devLab is the dev stack's lab, from the program and Pulumi.dev.yaml.
func devLab(t testing.TB) Lab {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	l, err := LabFor(lab.Program, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestMain runs parallelTests tests at a time unless -test.parallel is given.
func TestMain(m *testing.M) {
	flag.Parse()
	runParallelTests()
	os.Exit(m.Run())
}

// parallelTests: the twin's tests mostly wait (VRRP's master-down interval, probes that must
// time out) rather than compute, so the default, GOMAXPROCS (2 on a 2-core machine), leaves the
// NAT pairs' half-minute twins waiting behind the short ones. All at once (14) is faster still,
// but its start stretched a 1 s probe past its limit: one failed run in four.
const parallelTests = 4

func runParallelTests() {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(parallelTests))
	}
}
