package plandiff_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"nat-instance/mockgraph"
	"nat-instance/plandiff"
)

// namedByPosition rewrites a recording as the program named private instances before they
// were named by address: private-ec2-1, -2, ... in the order of privateInstanceIps.
func namedByPosition(t *testing.T, g *mockgraph.Graph, ips []string) *mockgraph.Graph {
	t.Helper()
	out := &mockgraph.Graph{Resources: append([]mockgraph.Resource(nil), g.Resources...)}
	renamed := 0
	for i := range out.Resources {
		r := &out.Resources[i]
		if r.Type != tInstance || !strings.HasPrefix(r.Name, "private-ec2-") {
			continue
		}
		for pos, ip := range ips {
			if r.String("privateIp") == ip {
				name := fmt.Sprintf("private-ec2-%d", pos+1)
				r.URN = strings.TrimSuffix(r.URN, r.Name) + name
				r.ID = strings.TrimSuffix(r.ID, r.Name) + name
				r.Name = name
				r.Inputs = maps.Clone(r.Inputs)
				r.Inputs["tags"] = map[string]any{"Name": name}
				r.Inputs["volumeTags"] = map[string]any{"Name": name}
				renamed++
			}
		}
	}
	if renamed != len(ips) {
		t.Fatalf("renamed %d instances, want %d", renamed, len(ips))
	}
	return out
}

// A stack deployed when instances were named by position keeps every instance: the aliases
// match them; only their Name tags change, in place.
func TestStacksNamedByPositionKeepTheirInstances(t *testing.T) {
	cfg := stackFile(t, "dev")
	now := record(t, cfg, mockgraph.Options{})
	p := plan(t, namedByPosition(t, now, []string{"10.40.2.101", "10.40.2.102"}), now)
	changes := p.Changes()
	if len(changes) != 2 {
		t.Errorf("changes %v, want the two Name tags", changes)
	}
	for _, s := range changes {
		if s.Action != plandiff.Update || strings.Join(s.Changed, ",") != "tags,volumeTags" || s.Outage {
			t.Errorf("step %s, want the Name tags updated in place", s)
		}
	}
}

// The checker sees what names by position did: removing the first address moved the second
// instance onto an address the dropped one holds until the end of the update.
func TestAddressClashesSeeNamesByPosition(t *testing.T) {
	before := namedByPosition(t, record(t, stackFile(t, "dev"), mockgraph.Options{}), []string{"10.40.2.101", "10.40.2.102"})
	after := namedByPosition(t, record(t, stackFile(t, "dev", "privateInstanceIps", `["10.40.2.102"]`), mockgraph.Options{}), []string{"10.40.2.102"})
	clashes := plan(t, before, after).AddressClashes()
	want := "replace private-ec2-1 is created on 10.40.2.102, which urn:pulumi:test::nat-instance::nat-instance:compute:PrivateInstances$aws:ec2/instance:Instance::private-ec2-2 still holds"
	if len(clashes) != 1 || clashes[0] != want {
		t.Errorf("clashes %v, want %s", clashes, want)
	}
}

// A subnet that moves takes its dependents along: what refers to its id is replaced in turn.
func TestReplacementsCascadeToDependents(t *testing.T) {
	zone := func(z string) map[string]string { return stackFile(t, "dev", "availabilityZone", z) }
	p := plan(t, record(t, zone("ap-northeast-2a"), mockgraph.Options{}), record(t, zone("ap-northeast-2c"), mockgraph.Options{}))
	got := map[string]string{}
	for _, s := range p.Changes() {
		got[s.Name+" "+shortType(s.Type)] = string(s.Action) + " " + strings.Join(s.Changed, ",")
	}
	for name, want := range map[string]string{
		"nat-lab-public-1 Subnet":                 "replace availabilityZone",
		"nat-instance NetworkInterface":           "replace subnetId",
		"nat-instance Instance":                   "replace networkInterfaces",
		"nat-instance EipAssociation":             "replace networkInterfaceId",
		"private-ec2-10-40-2-101 Instance":        "replace subnetId",
		"nat-lab-private-1 RouteTableAssociation": "replace subnetId",
		"nat-instance-route-1 Route":              "update networkInterfaceId",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
}

func shortType(typ string) string { return typ[strings.LastIndex(typ, ":")+1:] }
