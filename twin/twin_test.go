package twin

import (
	"context"
	"slices"
	"testing"

	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/netns/nstest"
)

// requireNamespaces skips where the machine cannot make network namespaces, except in CI, which
// runs as root and must run these tests.
func requireNamespaces(t *testing.T) {
	t.Helper()
	nstest.Require(t, "network twin", Available())
}

// runLab builds the twin of a stack config from the program and runs the lab checks on it: all
// of them with pairCode, else all but the checks of the pair members' code (Check.PairCode),
// which one pair configuration runs for the suite (TestTwinOfNATPairs).
func runLab(t *testing.T, stack string, cfg map[string]string, pairCode bool) {
	t.Helper()
	requireNamespaces(t)
	l, err := LabFor(lab.Program, stack, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := LabChecks(l.Topology)
	if !pairCode {
		checks = slices.DeleteFunc(checks, func(c Check) bool { return c.PairCode })
	}
	// Each twin bounds its own checks (checkLimit) from the moment it may start (budget.go).
	for _, r := range RunChecks(t.Context(), l, checks) {
		if r.Err != nil {
			t.Errorf("%s: %v\ntranscript:\n%s", r.Check, r.Err, r.Transcript)
		} else {
			t.Logf("%s: ok\n%s", r.Check, r.Transcript)
		}
	}
}

// Every stack file of the repository gets the twin's checks.
func TestTwinOfEveryStackFile(t *testing.T) {
	t.Parallel()
	stacks, err := mockgraph.Stacks("..")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks %v: %v", stacks, err)
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			cfg, err := mockgraph.StackConfig("..", stack)
			if err != nil {
				t.Fatal(err)
			}
			runLab(t, stack, cfg, false)
		})
	}
}

// Configs other than the lab's work the same: nothing in the twin assumes the lab's numbers.
func TestTwinOfOtherConfigs(t *testing.T) {
	t.Parallel()
	for name, kv := range map[string][]string{
		"other VPC, three private instances": {"vpcCidr", "10.99.0.0/16", "privateInstanceIps", `["10.99.2.11","10.99.2.12","10.99.2.13"]`},
		"one NAT for three zones":            {"zoneCount", "3", "natStrategy", "single", "privateInstanceIps", `["10.40.2.10","10.40.4.10","10.40.6.10"]`},
		"SSH from an allowed network":        {"keyName", "lab-key", "sshAllowedCidrs", `["192.0.2.0/24"]`, "privateInstanceIps", `["10.40.2.101"]`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := map[string]string{"aws:region": "ap-northeast-2"}
			for i := 0; i+1 < len(kv); i += 2 {
				cfg["nat-instance:"+kv[i]] = kv[i+1]
			}
			runLab(t, "test", cfg, false)
		})
	}
}

// The twin shows a broken program: the same graph with one promise taken away fails the
// egress check.
func TestTwinShowsABrokenProgram(t *testing.T) {
	t.Parallel()
	requireNamespaces(t)
	for name, breakIt := range map[string]func(*mockgraph.Graph){
		"private default route forgotten": func(g *mockgraph.Graph) {
			g.Resources = slices.DeleteFunc(g.Resources, func(r mockgraph.Resource) bool {
				return r.Type == "aws:ec2/route:Route" && r.String("networkInterfaceId") != ""
			})
		},
		"source/dest check left on": func(g *mockgraph.Graph) {
			for _, r := range g.Resources {
				if r.Type == "aws:ec2/networkInterface:NetworkInterface" {
					r.Inputs["sourceDestCheck"] = true
				}
			}
		},
		"NAT security group without ingress": func(g *mockgraph.Graph) {
			for _, r := range g.Resources {
				if r.Type == "aws:ec2/securityGroup:SecurityGroup" && r.Name == "nat-instance" {
					r.Inputs["ingress"] = []any{}
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := map[string]string{}
			g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{})
			if err != nil {
				t.Fatal(err)
			}
			breakIt(g)
			l, err := LabFromGraph(g, cfg)
			if err != nil {
				t.Fatal(err)
			}
			egress := LabChecks(l.Topology)[0]
			r := RunChecks(context.Background(), l, []Check{egress})[0]
			if r.Err == nil {
				t.Errorf("the egress check passed on a broken program:\n%s", r.Transcript)
			}
		})
	}
}
