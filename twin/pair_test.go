package twin

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"nat-instance/compute"
)

// handPairTopology is a one-zone VPC with a NAT pair and two private instances, built the way
// FromGraph builds one from the program's graph (member files from the rendered user data).
func handPairTopology(t *testing.T) Topology {
	t.Helper()
	vpc := netip.MustParsePrefix("10.40.0.0/16")
	member := func(name, self, peer, eni string, active bool) Instance {
		ud := compute.NatPairUserData(compute.NatPairMember{Region: "eu-west-3", VpcCidr: vpc.String(), FloatingIP: "10.40.1.100",
			SubnetPrefixLen: 24, SelfIP: self, PeerIP: peer, SelfENI: eni, AllocationID: "eipalloc-nat",
			RouteTableIDs: []string{"rtb-private"}, StartsActive: active, VirtualRouterID: 1})
		files, ok := pairFiles(ud)
		if !ok {
			t.Fatal("no member files in the user data")
		}
		return Instance{Name: name, Subnet: "public", PrivateIP: netip.MustParseAddr(self), SecurityGroups: []string{"nat"},
			ElasticIP: netip.MustParseAddr(map[bool]string{true: "203.0.113.11", false: "203.0.113.12"}[active]),
			ENI:       eni, PairFiles: files}
	}
	all := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	topo := Topology{
		VPC: vpc,
		Subnets: []Subnet{
			{Name: "public", CIDR: netip.MustParsePrefix("10.40.1.0/24"), RouteTableID: "rtb-public",
				Routes: []Route{{Destination: all[0], InternetGateway: true}}},
			{Name: "private", CIDR: netip.MustParsePrefix("10.40.2.0/24"), RouteTableID: "rtb-private",
				Routes: []Route{{Destination: all[0], ENI: "nat-a"}}},
		},
		Instances: []Instance{
			member("nat-a", "10.40.1.101", "10.40.1.102", "eni-a", true),
			member("nat-b", "10.40.1.102", "10.40.1.101", "eni-b", false),
			{Name: "private-1", Subnet: "private", PrivateIP: netip.MustParseAddr("10.40.2.10"), SourceDestCheck: true, SecurityGroups: []string{"private"}},
			{Name: "private-2", Subnet: "private", PrivateIP: netip.MustParseAddr("10.40.2.11"), SourceDestCheck: true, SecurityGroups: []string{"private"}},
		},
		SecurityGroups: map[string]SecurityGroup{
			"nat": {
				Ingress: []Rule{{Protocol: "-1", CIDRs: []netip.Prefix{vpc}}, {Protocol: "112", SourceGroups: []string{"nat"}},
					{Protocol: "udp", FromPort: 3780, ToPort: 3780, SourceGroups: []string{"nat"}}},
				Egress: []Rule{{Protocol: "-1", CIDRs: all}},
			},
			"private": {Egress: []Rule{{Protocol: "-1", CIDRs: all}}},
		},
	}
	topo.Instances[1].SourceDestCheck, topo.Instances[0].SourceDestCheck = false, false
	var err error
	if topo.Pairs, err = pairsOf(topo.Instances, map[string]netip.Addr{"eipalloc-nat": netip.MustParseAddr("203.0.113.10")}); err != nil {
		t.Fatal(err)
	}
	return topo
}

// The fault matrix of NAT pairs, each check on a fresh twin, in parallel.
func TestPairFaultMatrix(t *testing.T) {
	requireNamespaces(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	results := RunChecks(ctx, Lab{Topology: handPairTopology(t)}, PairChecks())
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v\n%s", r.Check, r.Err, r.Transcript)
		} else if testing.Verbose() {
			t.Logf("%s: ok\n%s", r.Check, r.Transcript)
		}
	}
}
