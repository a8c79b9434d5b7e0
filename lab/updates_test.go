package lab

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
)

// expectFailure runs the program with a bad config under opts: it must fail before registering
// a single resource, with one message that holds every fragment of want.
func expectFailure(t *testing.T, cfg map[string]string, opts mockgraph.Options, want ...string) {
	t.Helper()
	g, err := mockgraph.Run(Program, cfg, opts)
	if err == nil {
		t.Fatal("the program accepted the config")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if len(g.Resources) != 0 {
		t.Errorf("%d resources registered before the error, want none", len(g.Resources))
	}
}

// The first boot installs packages: the NAT must find its subnet routed to the internet.
func TestNatWaitsForThePublicRouteAndAssociation(t *testing.T) {
	g := record(t, threeZones("perZone"))
	route := named(t, g, tRoute, "nat-lab-public-default")
	for i, name := range []string{"nat-instance", "nat-instance-2", "nat-instance-3"} {
		nat := named(t, g, tInstance, name)
		association := named(t, g, tAssociation, []string{"nat-lab-public-1", "nat-lab-public-2", "nat-lab-public-3"}[i])
		if !slices.Contains(nat.DependsOn, route.URN) || !slices.Contains(nat.DependsOn, association.URN) {
			t.Errorf("%s depends on %v, want the public default route and %s's association", name, nat.DependsOn, association.Name)
		}
	}
}

func TestMissingKeyPairFailsBeforeAnyResource(t *testing.T) {
	expectFailure(t, config("keyName", "gone-key"), mockgraph.Options{MissingKeyPairs: []string{"gone-key"}},
		`nat-instance:keyName = "gone-key"`, "no EC2 key pair of this name in ap-northeast-2", "InvalidKeyPair.NotFound")
}

func TestKeyPairIsLookedUpByName(t *testing.T) {
	g := record(t, config("keyName", "lab-key"))
	i := slices.IndexFunc(g.Invokes, func(inv mockgraph.Invoke) bool { return inv.Token == "aws:ec2/getKeyPair:getKeyPair" })
	if i < 0 || g.Invokes[i].Args["keyName"] != "lab-key" {
		t.Errorf("invokes %v, want a key pair lookup of lab-key", g.Invokes)
	}
}

func TestPinnedImageMistakesFailBeforeAnyResource(t *testing.T) {
	images := mockgraph.Options{Images: map[string]string{"ami-0123456789abcdef0": "x86_64"}}
	for name, tc := range map[string]struct {
		kv   []string
		want []string
	}{
		"not an AMI id":      {[]string{"natAmiId", "al2023"}, []string{`nat-instance:natAmiId = "al2023"`, "AMI id such as ami-0123456789abcdef0"}},
		"unknown image":      {[]string{"privateAmiId", "ami-0fedcba9876543210"}, []string{`nat-instance:privateAmiId = "ami-0fedcba9876543210"`, "must be an arm64 image of this region (t4g.nano is arm64)"}},
		"wrong architecture": {[]string{"natAmiId", "ami-0123456789abcdef0"}, []string{`nat-instance:natAmiId = "ami-0123456789abcdef0"`, "must be an arm64 image"}},
	} {
		t.Run(name, func(t *testing.T) { expectFailure(t, config(tc.kv...), images, tc.want...) })
	}
}

// An image that is not pinned stays with the instances; a type of another architecture would
// meet it, and the preview says which key to set instead of AWS stopping the instance.
func TestKeptImageOfAnotherArchitectureIsRefused(t *testing.T) {
	kept := mockgraph.Options{KeptAmi: "ami-0aaaaaaaaaaaaaaaa", Images: map[string]string{"ami-0aaaaaaaaaaaaaaaa": "arm64"}}
	_, err := mockgraph.Run(Program, config("natInstanceType", "t3.micro"), kept)
	if err == nil || !strings.Contains(err.Error(), "nat-instance:natAmiId is unset, so the instances keep their image ami-0aaaaaaaaaaaaaaaa, which is not x86_64 as t3.micro needs") {
		t.Errorf("error %v, want the kept arm64 image refused for t3.micro", err)
	}
	g, err := mockgraph.Run(Program, config("natInstanceType", "t4g.micro"), kept)
	if err != nil {
		t.Fatalf("a type of the same architecture: %v", err)
	}
	if g.Outputs["natAmiId"] != "ami-0aaaaaaaaaaaaaaaa" {
		t.Errorf("natAmiId = %v, want the image the NAT keeps", g.Outputs["natAmiId"])
	}
}

// The zone outputs say where the subnets are, which for a picked zone is where they were
// created, not what the program would pick today.
func TestZoneOutputsAreTheSubnetsZones(t *testing.T) {
	g, err := mockgraph.Run(Program, threeZones("perZone"), mockgraph.Options{KeptZone: "ap-northeast-2d"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(g.Outputs["availabilityZone"], g.Outputs["availabilityZones"]); got != "ap-northeast-2d[ap-northeast-2d ap-northeast-2d ap-northeast-2d]" {
		t.Errorf("zone outputs %s, want the kept zone", got)
	}
	if egress, _ := g.Outputs["egressIpByZone"].(map[string]string); len(egress) != 1 || egress["ap-northeast-2d"] == "" {
		t.Errorf("egressIpByZone = %v, want keyed by the kept zone", g.Outputs["egressIpByZone"])
	}
}

func TestPairRollMistakesFailBeforeAnyResource(t *testing.T) {
	ha := func(kv ...string) map[string]string {
		return config(append([]string{"natHighAvailability", "true", "zoneCount", "2"}, kv...)...)
	}
	for name, tc := range map[string]struct {
		cfg  map[string]string
		want []string
	}{
		"both members of a pair": {ha("natPairRoll", `["nat-instance-2-b","nat-instance-a","nat-instance-2-a"]`),
			[]string{`nat-instance:natPairRoll = "nat-instance-2-a": and nat-instance-2-b are the two members of one pair: roll one at a time`}},
		"not a member": {ha("natPairRoll", `["nat-instance-c"]`),
			[]string{`natPairRoll = "nat-instance-c": must be a member of this stack's NAT pairs: nat-instance-a, nat-instance-b, nat-instance-2-a, nat-instance-2-b`}},
		"twice": {ha("natPairRoll", `["nat-instance-a","nat-instance-a"]`), []string{`natPairRoll = "nat-instance-a": is listed twice`}},
		"without pairs": {config("natPairRoll", `["nat-instance-a"]`),
			[]string{`natPairRoll = "nat-instance-a": names NAT pair members but natHighAvailability is false`}},
	} {
		t.Run(name, func(t *testing.T) { expectConfigError(t, tc.cfg, tc.want...) })
	}
}

// natPairRoll releases exactly the named member: it alone follows the configuration.
func TestPairRollReleasesTheNamedMember(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "natPairRoll", `["nat-instance-b"]`))
	for name, want := range map[string]string{"nat-instance-a": "[secondaryPrivateIps ami instanceType keyName userDataBase64]", "nat-instance-b": "[secondaryPrivateIps ami]"} {
		if got := fmt.Sprint(named(t, g, tInstance, name).IgnoreChanges); got != want {
			t.Errorf("%s ignoreChanges %s, want %s", name, got, want)
		}
	}
	// Its interface takes the untracked group with it, when it runs the firewall that goes with it.
	for name, want := range map[string]string{"nat-instance-a": "[privateIps privateIpList privateIpsCount securityGroups]", "nat-instance-b": "[privateIps privateIpList privateIpsCount]"} {
		if got := fmt.Sprint(named(t, g, tENI, name).IgnoreChanges); got != want {
			t.Errorf("%s interface ignoreChanges %s, want %s", name, got, want)
		}
	}
}
