package plandiff_test

import (
	"maps"
	"strings"
	"testing"

	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/plandiff"
)

const (
	tInstance = "aws:ec2/instance:Instance"
	tSubnet   = "aws:ec2/subnet:Subnet"
)

// stackFile returns the config of a stack file of the project, with changes applied.
func stackFile(t *testing.T, stack string, kv ...string) map[string]string {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", stack)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[mockgraph.Project+":"+kv[i]] = kv[i+1]
	}
	return cfg
}

func record(t *testing.T, cfg map[string]string, opts mockgraph.Options) *mockgraph.Graph {
	t.Helper()
	g, err := mockgraph.Run(lab.Program, maps.Clone(cfg), opts)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return g
}

func plan(t *testing.T, before, after *mockgraph.Graph) plandiff.Plan {
	t.Helper()
	p := plandiff.Diff(before, after)
	var b strings.Builder
	p.Print(&b)
	t.Logf("plan:\n%s", b.String())
	return p
}

func TestNewAmazonLinuxReleaseChangesNothing(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			cfg := stackFile(t, stack)
			before := record(t, cfg, mockgraph.Options{Stack: stack})
			after := record(t, cfg, mockgraph.Options{Stack: stack, AmiRelease: "2"})
			if changes := plan(t, before, after).Changes(); len(changes) != 0 {
				t.Errorf("a new image release changes %v", changes)
			}
		})
	}
}

// A fresh stack gets the image current at its first deployment, with no lookup by the user.
func TestFreshStackGetsTheCurrentImage(t *testing.T) {
	g := record(t, stackFile(t, "dev"), mockgraph.Options{AmiRelease: "2"})
	for _, inst := range g.OfType(tInstance) {
		if ami := inst.String("ami"); ami != "ami-arm64-2" {
			t.Errorf("%s launches %s, want the current ami-arm64-2", inst.Name, ami)
		}
	}
}

// Taking a new image is setting it: the preview replaces exactly the instances of that group
// (single NATs here; pairs roll one member at a time, see pairs_test.go).
func TestPinnedImageChangeReplacesItsInstances(t *testing.T) {
	images := map[string]string{"ami-0123456789abcdef0": "arm64", "ami-0fedcba9876543210": "arm64"}
	opts := mockgraph.Options{Stack: "prod", Images: images}
	before := record(t, stackFile(t, "prod", "natHighAvailability", "false", "natAmiId", "ami-0123456789abcdef0"), opts)
	after := record(t, stackFile(t, "prod", "natHighAvailability", "false", "natAmiId", "ami-0fedcba9876543210"), opts)
	p := plan(t, before, after)
	var replaced []string
	for _, s := range p.Changes() {
		// A NAT's alarms name its instance: they follow the new instance's id, in place.
		if s.Action == plandiff.Update && s.Type == "aws:cloudwatch/metricAlarm:MetricAlarm" && strings.Join(s.Changed, ",") == "dimensions" {
			continue
		}
		if s.Action != plandiff.Replace || s.Type != tInstance || strings.Join(s.Changed, ",") != "ami" || !s.DeleteFirst {
			t.Errorf("unexpected step %s", s)
		}
		replaced = append(replaced, s.Name)
	}
	if strings.Join(replaced, " ") != "nat-instance nat-instance-2 nat-instance-3" {
		t.Errorf("replaced %v, want the three NAT instances", replaced)
	}
}

// Zones the program picked stay with the stack: another instance type (whose offerings would
// pick other zones) and a zone gaining an offering move no subnet.
func TestPickedZonesStayWithTheStack(t *testing.T) {
	noGravitonInA := mockgraph.Options{Stack: "prod", NotOffered: map[string][]string{
		"ap-northeast-2a": {"t4g.small", "t4g.micro"}}}
	before := record(t, stackFile(t, "prod"), noGravitonInA)
	for name, after := range map[string]*mockgraph.Graph{
		"x86 types offered everywhere": record(t, stackFile(t, "prod", "natInstanceType", "t3.small", "privateInstanceType", "t3.micro",
			"natAmiId", "ami-0123456789abcdef0", "privateAmiId", "ami-0123456789abcdef0"),
			mockgraph.Options{Stack: "prod", Images: map[string]string{"ami-0123456789abcdef0": "x86_64"}}),
		"zone a gains Graviton": record(t, stackFile(t, "prod"), mockgraph.Options{Stack: "prod"}),
	} {
		t.Run(name, func(t *testing.T) {
			if zone := after.OfType(tSubnet)[0].String("availabilityZone"); zone != "ap-northeast-2a" {
				t.Fatalf("the program now picks %s first; the scenario needs it to pick zone a", zone)
			}
			p := plan(t, before, after)
			if moved := p.Of(plandiff.Replace, tSubnet); len(moved) > 0 {
				t.Errorf("subnets move: %v", moved)
			}
			if clashes := p.AddressClashes(); len(clashes) > 0 {
				t.Errorf("address clashes: %v", clashes)
			}
		})
	}
}

// Zones the user names are the user's to move: a changed name moves the subnets.
func TestNamedZonesMoveWhenTheUserMovesThem(t *testing.T) {
	zones := func(z string) map[string]string { return stackFile(t, "dev", "availabilityZone", z) }
	p := plan(t, record(t, zones("ap-northeast-2a"), mockgraph.Options{}), record(t, zones("ap-northeast-2b"), mockgraph.Options{}))
	if moved := p.Of(plandiff.Replace, tSubnet); len(moved) != 2 {
		t.Errorf("moving the zone replaces %v, want both subnets", moved)
	}
}

func TestInstanceTypeChangeIsAnInPlaceOutage(t *testing.T) {
	before := record(t, stackFile(t, "dev"), mockgraph.Options{})
	after := record(t, stackFile(t, "dev", "natInstanceType", "t4g.micro"), mockgraph.Options{})
	changes := plan(t, before, after).Changes()
	if len(changes) != 1 || changes[0].String() != "update  Instance nat-instance [instanceType] OUTAGE" {
		t.Errorf("changes %v, want the NAT instance stopped and started", changes)
	}
}

// Private instances are named by address: removing or reordering addresses touches only the
// instance whose address went, and never creates one on an address another still holds.
func TestAddressesKeepTheirInstances(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		ips := map[string][2]string{ // stack -> a list and the same minus its first address
			"dev":  {`["10.40.2.101","10.40.2.102"]`, `["10.40.2.102"]`},
			"prod": {`["10.60.16.10","10.60.32.10","10.60.48.10"]`, `["10.60.32.10","10.60.48.10"]`},
		}[stack]
		before := record(t, stackFile(t, stack), mockgraph.Options{Stack: stack})
		t.Run(stack+"/first removed", func(t *testing.T) {
			p := plan(t, before, record(t, stackFile(t, stack, "privateInstanceIps", ips[1]), mockgraph.Options{Stack: stack}))
			changes := p.Changes()
			if len(changes) != 1 || changes[0].Action != plandiff.Delete || changes[0].Type != tInstance {
				t.Errorf("changes %v, want only the removed instance deleted", changes)
			}
			if clashes := p.AddressClashes(); len(clashes) > 0 {
				t.Errorf("address clashes: %v", clashes)
			}
		})
		t.Run(stack+"/reordered", func(t *testing.T) {
			reversed := stackFile(t, stack)
			list := strings.Split(strings.Trim(ips[0], "[]"), ",")
			for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
				list[i], list[j] = list[j], list[i]
			}
			reversed["nat-instance:privateInstanceIps"] = "[" + strings.Join(list, ",") + "]"
			p := plan(t, before, record(t, reversed, mockgraph.Options{Stack: stack}))
			if changes := p.Changes(); len(changes) != 0 {
				t.Errorf("reordering changes %v", changes)
			}
		})
	}
}
