package lab

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
)

// threeZones is a three-zone stack whose subnets and NAT addresses are carved from the VPC.
func threeZones(strategy string) map[string]string {
	return config("vpcCidr", "10.99.0.0/16", "zoneCount", "3", "natStrategy", strategy,
		"privateInstanceIps", `["10.99.2.10","10.99.4.10","10.99.6.10","10.99.2.11"]`)
}

// zoneOf returns the availability zone of the subnet a resource input refers to.
func zoneOf(t *testing.T, g *mockgraph.Graph, subnetID string) string {
	t.Helper()
	return byID(t, g, subnetID, tSubnet).String("availabilityZone")
}

func TestPerZoneEachPrivateTableUsesItsZonesNat(t *testing.T) {
	g := record(t, threeZones("perZone"))
	subnets := map[string]string{} // cidr -> zone
	for _, s := range g.OfType(tSubnet) {
		subnets[s.String("cidrBlock")] = s.String("availabilityZone")
	}
	wantSubnets := map[string]string{
		"10.99.1.0/24": "ap-northeast-2a", "10.99.2.0/24": "ap-northeast-2a",
		"10.99.3.0/24": "ap-northeast-2b", "10.99.4.0/24": "ap-northeast-2b",
		"10.99.5.0/24": "ap-northeast-2c", "10.99.6.0/24": "ap-northeast-2c",
	}
	if fmt.Sprint(subnets) != fmt.Sprint(wantSubnets) {
		t.Errorf("subnets %v, want %v", subnets, wantSubnets)
	}

	if n := len(g.OfType(tEip)); n != 3 {
		t.Errorf("%d Elastic IPs, want one per zone", n)
	}
	natIPs := map[string]string{} // zone -> NAT ENI address
	for _, s := range g.OfType(tSubnet) {
		if strings.Contains(s.Name, "private") {
			routes := routesOf(g, tableOf(t, g, s))
			if len(routes) != 1 {
				t.Fatalf("private subnet %s: %d routes, want 1", s.Name, len(routes))
			}
			eni := byID(t, g, routes[0].String("networkInterfaceId"), tENI)
			if zone := zoneOf(t, g, eni.String("subnetId")); zone != s.String("availabilityZone") {
				t.Errorf("private subnet in %s routes to a NAT in %s: cross-zone traffic", s.String("availabilityZone"), zone)
			}
			natIPs[s.String("availabilityZone")] = eni.Strings("privateIps")[0]
		}
	}
	wantNAT := map[string]string{"ap-northeast-2a": "10.99.1.100", "ap-northeast-2b": "10.99.3.100", "ap-northeast-2c": "10.99.5.100"}
	if fmt.Sprint(natIPs) != fmt.Sprint(wantNAT) {
		t.Errorf("NAT per zone %v, want %v", natIPs, wantNAT)
	}

	for _, p := range g.OfType(tInstance) {
		if ip := p.String("privateIp"); ip != "" {
			want := map[string]string{"10.99.2": "ap-northeast-2a", "10.99.4": "ap-northeast-2b", "10.99.6": "ap-northeast-2c"}[ip[:strings.LastIndex(ip, ".")]]
			if zone := zoneOf(t, g, p.String("subnetId")); zone != want {
				t.Errorf("%s (%s) in %s, want %s", p.Name, ip, zone, want)
			}
		}
	}

	eips := map[string]any{}
	for _, name := range []string{"nat-instance", "nat-instance-2", "nat-instance-3"} {
		eips[name] = named(t, g, tEip, name).State["publicIp"]
	}
	wantEgress := fmt.Sprint(map[string]any{"ap-northeast-2a": eips["nat-instance"], "ap-northeast-2b": eips["nat-instance-2"], "ap-northeast-2c": eips["nat-instance-3"]})
	if got := fmt.Sprint(g.Outputs["egressIpByZone"]); got != wantEgress {
		t.Errorf("egressIpByZone = %s, want %s", got, wantEgress)
	}
	if got := fmt.Sprint(g.Outputs["natPublicIps"]); got != fmt.Sprint([]any{eips["nat-instance"], eips["nat-instance-2"], eips["nat-instance-3"]}) {
		t.Errorf("natPublicIps = %s", got)
	}
	if g.Outputs["natPublicIp"] != eips["nat-instance"] {
		t.Errorf("natPublicIp = %v, want the first zone's %v", g.Outputs["natPublicIp"], eips["nat-instance"])
	}
	wantByZone := "map[ap-northeast-2a:[10.99.2.10 10.99.2.11] ap-northeast-2b:[10.99.4.10] ap-northeast-2c:[10.99.6.10]]"
	if got := fmt.Sprint(g.Outputs["privateInstanceIpsByZone"]); got != wantByZone {
		t.Errorf("privateInstanceIpsByZone = %s, want %s", got, wantByZone)
	}
}

func TestSingleNatServesEveryZone(t *testing.T) {
	g := record(t, threeZones("single"))
	enis := g.OfType(tENI)
	if len(enis) != 1 || len(g.OfType(tEip)) != 1 {
		t.Fatalf("%d ENIs and %d EIPs, want one NAT", len(enis), len(g.OfType(tEip)))
	}
	if zone := zoneOf(t, g, enis[0].String("subnetId")); zone != "ap-northeast-2a" {
		t.Errorf("the NAT is in %s, want the first zone", zone)
	}
	tables := 0
	for _, s := range g.OfType(tSubnet) {
		if strings.Contains(s.Name, "private") {
			tables++
			routes := routesOf(g, tableOf(t, g, s))
			if len(routes) != 1 || routes[0].String("networkInterfaceId") != enis[0].ID {
				t.Errorf("private subnet %s routes %v, want 0.0.0.0/0 -> the one NAT", s.Name, routes)
			}
		}
	}
	if tables != 3 {
		t.Errorf("%d private subnets, want 3", tables)
	}
	eip := g.OfType(tEip)[0].State["publicIp"]
	if got := fmt.Sprint(g.Outputs["egressIpByZone"]); got != fmt.Sprintf("map[ap-northeast-2a:%s ap-northeast-2b:%s ap-northeast-2c:%s]", eip, eip, eip) {
		t.Errorf("egressIpByZone = %s, want every zone through %v", got, eip)
	}
}

func TestPrivateInstancesMaySSHFromEveryNat(t *testing.T) {
	g := record(t, threeZones("perZone"))
	var natGroups []string
	for _, sg := range g.OfType(tSecurityGroup) {
		if strings.HasPrefix(sg.Name, "nat-instance") {
			natGroups = append(natGroups, sg.ID)
		}
	}
	for _, r := range rulesOf(t, g) {
		if r.group == "private-ec2" && r.protocol == "tcp" && r.from == 22 {
			got, want := slices.Sorted(slices.Values(r.groups)), slices.Sorted(slices.Values(natGroups))
			if !slices.Equal(got, want) || len(r.cidrs) != 0 {
				t.Errorf("private SSH from %v %v, want exactly the NATs' groups %v", r.groups, r.cidrs, want)
			}
		}
	}
}

func TestMultiZoneConfigMistakes(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"zone count", []string{"zoneCount", "7"}, []string{`zoneCount = "7"`, "between 1 and 6"}},
		{"zone count wrong, lists right", []string{"zoneCount", "0", "availabilityZones", `["ap-northeast-2a","ap-northeast-2b"]`}, []string{`zoneCount = "0"`, "(1 problem(s))"}},
		{"zone count not a number", []string{"zoneCount", "two"}, []string{`zoneCount = "two"`, "whole number"}},
		{"strategy", []string{"natStrategy", "perAz"}, []string{`natStrategy = "perAz"`, `"perZone"`, `"single"`}},
		{"list length", []string{"zoneCount", "3", "publicSubnetCidrs", `["10.40.1.0/24","10.40.3.0/24"]`}, []string{`publicSubnetCidrs = "10.40.1.0/24, 10.40.3.0/24"`, "has 2 entries but zoneCount is 3"}},
		{"singular key with zones", []string{"zoneCount", "2", "privateSubnetCidr", "10.40.2.0/24"}, []string{`privateSubnetCidr = "10.40.2.0/24"`, "gives one value but zoneCount is 2; use privateSubnetCidrs with 2 entries"}},
		{"both keys", []string{"natPrivateIp", "10.40.1.10", "natPrivateIps", `["10.40.1.10"]`}, []string{`natPrivateIps = "10.40.1.10"`, "either natPrivateIp or natPrivateIps"}},
		{"overlap across zones", []string{"zoneCount", "2", "privateSubnetCidrs", `["10.40.2.0/24","10.40.2.128/25"]`},
			[]string{`privateSubnetCidrs = "10.40.2.128/25"`, "must not overlap privateSubnetCidrs 10.40.2.0/24"}},
		{"overlap with a carved subnet", []string{"zoneCount", "2", "privateSubnetCidrs", `["10.40.2.0/24","10.40.3.0/24"]`},
			[]string{`privateSubnetCidrs = "10.40.3.0/24"`, "must not overlap the public subnet carved for zone 2, 10.40.3.0/24"}},
		{"instance in no zone", []string{"zoneCount", "2", "privateInstanceIps", `["10.40.6.10"]`},
			[]string{`privateInstanceIps = "10.40.6.10"`, "private subnet of a zone: 10.40.2.0/24, 10.40.4.0/24"}},
		{"NAT addresses per NAT", []string{"zoneCount", "2", "natStrategy", "single", "natPrivateIps", `["10.40.1.10","10.40.3.10"]`},
			[]string{`natPrivateIps = "10.40.1.10, 10.40.3.10"`, "has 2 entries but natStrategy single has one NAT instance"}},
		{"duplicate zones", []string{"zoneCount", "2", "availabilityZones", `["ap-northeast-2a","ap-northeast-2a"]`},
			[]string{`availabilityZones = "ap-northeast-2a"`, "listed twice"}},
		{"VPC too small to carve", []string{"vpcCidr", "10.40.0.0/27", "zoneCount", "2", "privateInstanceIps", "[]"},
			[]string{`vpcCidr = "10.40.0.0/27"`, "too small to carve subnets for 2 zone(s)"}},
		{"more zones than the region offers", []string{"zoneCount", "5"}, []string{`zoneCount = "5"`, "only 4 zone(s) of this region offer t4g.nano"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectConfigError(t, config(tc.kv...), tc.want...) })
	}
}

// A private table's default route is named after the table, not its NAT: switching strategy
// updates routes in place, where a new route beside the old would be refused by AWS.
func TestStrategySwitchKeepsTheRoutes(t *testing.T) {
	routes := func(strategy string) map[string]string { // URN -> target ENI
		out := map[string]string{}
		for _, r := range record(t, threeZones(strategy)).OfType(tRoute) {
			if r.String("networkInterfaceId") != "" {
				out[r.URN] = r.String("networkInterfaceId")
			}
		}
		return out
	}
	perZone, single := routes("perZone"), routes("single")
	if len(perZone) != 3 || len(single) != 3 {
		t.Fatalf("%d and %d private default routes, want 3 and 3", len(perZone), len(single))
	}
	for urn := range perZone {
		if _, ok := single[urn]; !ok {
			t.Errorf("route %s exists under perZone only: a switch would replace it", urn)
		}
	}
}
