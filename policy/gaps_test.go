package main

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"nat-instance/settings"
)

// Each case below passed the pack before it closed the gap it names.

// Anything wider than /8 is the internet, as the program's own check of sshAllowedCidrs says.
func TestWiderThanSlash8IsTheInternet(t *testing.T) {
	runCases(t, "no-ingress-from-anywhere", []policyCase{
		{"0.0.0.0/1 (used to pass)", typeSecurityGroup, group("ingress", rule("tcp", "0.0.0.0/1")), "from 0.0.0.0/1"},
		{"128.0.0.0/1 (used to pass)", typeSecurityGroupRule, map[string]any{"type": "ingress", "protocol": "tcp", "cidrBlocks": []any{"128.0.0.0/1"}}, "from 128.0.0.0/1"},
		{"10.0.0.0/7 (used to pass)", typeIngressRule, map[string]any{"ipProtocol": "tcp", "cidrIpv4": "10.0.0.0/7"}, "from 10.0.0.0/7"},
		{"IPv6 2000::/3 (used to pass)", typeSecurityGroup, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "ipv6CidrBlocks": []any{"2000::/3"}}}}, "from 2000::/3"},
		{"10.0.0.0/8", typeSecurityGroup, group("ingress", rule("tcp", "10.0.0.0/8")), ""},
		{"2001:db8::/32", typeSecurityGroup, map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "ipv6CidrBlocks": []any{"2001:db8::/32"}}}}, ""},
	})
	runCases(t, "no-all-protocols-to-or-from-anywhere", []policyCase{
		{"all to 0.0.0.0/1 (used to pass)", typeSecurityGroup, group("egress", rule("-1", "0.0.0.0/1")), "all protocols to 0.0.0.0/1"},
	})
	// The pack's line is the program's: every IPv4 length the program refuses counts as the internet.
	for bits := 0; bits <= 32; bits++ {
		p := netip.PrefixFrom(netip.IPv4Unspecified(), bits)
		_, refused := settings.ParsePrefix(p.String(), 8, 32)
		if internet(p) != (refused != "") {
			t.Errorf("/%d: the pack says internet %v, the program refuses it %v", bits, internet(p), refused != "")
		}
	}
}

// A security group of another account is a source the stack does not control.
func TestCrossAccountGroupSources(t *testing.T) {
	from := func(group string) map[string]any {
		return map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "description": "peer", "securityGroups": []any{group}}}}
	}
	runCases(t, "no-ingress-from-anywhere", []policyCase{
		{"another account's group (used to pass)", typeSecurityGroup, from("111122223333/sg-0123456789abcdef0"), "a security group of another account"},
		{"another account's group, vpc rule (used to pass)", typeIngressRule, map[string]any{"ipProtocol": "tcp", "referencedSecurityGroupId": "111122223333/sg-1"}, "another account"},
		{"a group of the account", typeSecurityGroup, from("sg-0123456789abcdef0"), ""},
	})
}

// The metadata service answers the instance only.
func TestImdsHopLimit(t *testing.T) {
	options := func(limit any) map[string]any {
		return map[string]any{"metadataOptions": map[string]any{"httpTokens": "required", "httpPutResponseHopLimit": limit}}
	}
	runCases(t, "imds-hop-limit-1", []policyCase{
		{"hop limit 2 (used to pass)", typeInstance, options(2), "httpPutResponseHopLimit is 2"},
		{"not set: the image decides (used to pass)", typeLaunchTemplate, map[string]any{"metadataOptions": map[string]any{"httpTokens": "required"}}, "is not set"},
		{"hop limit 1", typeInstance, options(1), ""},
		{"unknown before up", typeInstance, options(unknown), ""},
		{"from its launch template", typeInstance, map[string]any{"launchTemplate": map[string]any{"id": "lt-1"}}, ""},
	})
}

// No public address at launch: NATs get Elastic IPs on their interfaces.
func TestNoPublicAddressOnLaunch(t *testing.T) {
	runCases(t, "no-public-address-on-launch", []policyCase{
		{"subnet mapping public addresses (used to pass)", typeSubnet, map[string]any{"mapPublicIpOnLaunch": true}, "mapPublicIpOnLaunch is true"},
		{"instance with a public address (used to pass)", typeInstance, map[string]any{"associatePublicIpAddress": true}, "associatePublicIpAddress is true"},
		{"launch template with one (used to pass)", typeLaunchTemplate, map[string]any{"networkInterfaces": []any{map[string]any{"associatePublicIpAddress": "true"}}}, "networkInterfaces[0].associatePublicIpAddress"},
		{"the lab's subnets", typeSubnet, map[string]any{"mapPublicIpOnLaunch": false}, ""},
		{"unknown before up", typeInstance, map[string]any{"associatePublicIpAddress": unknown}, ""},
	})
}

// node is one resource of a hand-made stack; deps name, per input, the nodes it came from.
type node struct {
	typ, name string
	props     map[string]any
	deps      map[string][]string
}

func urnOf(typ, name string) string { return "urn:pulumi:dev::nat-instance::" + typ + "::" + name }

// stackViolations runs one stack policy over the nodes, as the engine does at the end of a
// preview or update.
func stackViolations(t *testing.T, policy string, nodes ...node) []string {
	t.Helper()
	types := map[string]string{}
	for _, n := range nodes {
		types[n.name] = n.typ
	}
	var resources []policyx.AnalyzerResource
	for _, n := range nodes {
		deps := map[string][]string{}
		for input, names := range n.deps {
			for _, name := range names {
				deps[input] = append(deps[input], urnOf(types[name], name))
			}
		}
		resources = append(resources, policyx.AnalyzerResource{Type: n.typ, Name: n.name, URN: urnOf(n.typ, n.name),
			Properties: resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(n.props)), PropertyDependencies: deps})
	}
	pack, err := Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pack.Policies() {
		if sp, ok := p.(policyx.StackValidationPolicy); ok && p.Name() == policy {
			recorder := &violationRecorder{}
			if err := sp.Validate(context.Background(), policyx.StackValidationArgs{Manager: recorder, Resources: resources}); err != nil {
				t.Fatal(err)
			}
			return recorder.messages
		}
	}
	t.Fatalf("no stack policy %q", policy)
	return nil
}

type stackCase struct {
	name  string
	nodes []node
	want  string // "" for no violation, else a part of the one expected message
}

func runStackCases(t *testing.T, policy string, cases []stackCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := stackViolations(t, policy, c.nodes...)
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("want no violation, got %q", got)
			case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("want one violation containing %q, got %q", c.want, got)
			}
		})
	}
}

// A NAT pair as the program builds it: members a and b in one subnet and security group that
// allows VRRP from itself; the private default route targets member a.
var (
	pairGroup = node{typeSecurityGroup, "pair", map[string]any{"ingress": []any{map[string]any{"protocol": "112", "self": true}}}, nil}
	subnet    = node{typeSubnet, "public", map[string]any{}, nil}
	memberA   = forwarding("nat-instance-a", "pair")
	memberB   = forwarding("nat-instance-b", "pair")
	toA       = node{typeRoute, "private-default", map[string]any{"destinationCidrBlock": "0.0.0.0/0", "networkInterfaceId": unknown},
		map[string][]string{"networkInterfaceId": {"nat-instance-a"}}}
)

// forwarding is an interface with source/dest check off in the public subnet and a group.
func forwarding(name, group string) node {
	return node{typeNetworkInterface, name, map[string]any{"sourceDestCheck": false, "tags": map[string]any{"Name": name}},
		map[string][]string{"subnetId": {"public"}, "securityGroups": {group}}}
}

// The NAT exception follows what the interface does, not its name.
func TestSourceDestCheckOnlyOnNat(t *testing.T) {
	web := node{typeSecurityGroup, "web", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp"}}}, nil}
	runStackCases(t, "source-dest-check-only-on-nat", []stackCase{
		{"named like a NAT, forwarding for no route (used to pass)", []node{subnet, pairGroup, forwarding("nat-instance", "pair")}, `nat-instance: source/dest check is off, but it is no NAT`},
		{"named like a pair member beside one, without VRRP (used to pass)", []node{subnet, web, forwarding("nat-instance-a", "web"), forwarding("nat-instance-b", "web"),
			{typeRoute, "r", map[string]any{"destinationCidrBlock": "0.0.0.0/0"}, map[string][]string{"networkInterfaceId": {"nat-instance-a"}}}}, "nat-instance-b: source/dest check is off"},
		{"a route to somewhere else (used to pass)", []node{subnet, pairGroup, forwarding("nat-instance", "pair"),
			{typeRoute, "r", map[string]any{"destinationCidrBlock": "10.0.0.0/8"}, map[string][]string{"networkInterfaceId": {"nat-instance"}}}}, "it is no NAT"},
		{"an instance with its own check off (used to pass)", []node{{typeInstance, "nat-instance", map[string]any{"sourceDestCheck": false}, nil}}, "the instance has no NAT interface"},
		{"any name, targeted by the default route", []node{subnet, pairGroup, forwarding("egress-gw-1", "pair"),
			{typeRoute, "r", map[string]any{"destinationCidrBlock": "0.0.0.0/0", "networkInterfaceId": "eni-1"}, map[string][]string{"networkInterfaceId": {"egress-gw-1"}}}}, ""},
		{"a pair: the route's member and its standby", []node{subnet, pairGroup, memberA, memberB, toA}, ""},
		{"an inline route of a table", []node{subnet, pairGroup, forwarding("nat", "pair"),
			{typeRouteTable, "t", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "networkInterfaceId": unknown}}}, map[string][]string{"routes": {"nat"}}}}, ""},
		{"check on", []node{{typeNetworkInterface, "web", map[string]any{"sourceDestCheck": true}, nil}}, ""},
	})
}

// Public addresses only on NAT interfaces.
func TestPublicAddressesOnlyOnNat(t *testing.T) {
	plain := node{typeNetworkInterface, "nat-instance", map[string]any{"tags": map[string]any{"Name": "nat-instance"}}, nil}
	eip := node{typeEip, "eip", map[string]any{"domain": "vpc"}, nil}
	assoc := func(target string) node {
		return node{typeEipAssociation, "assoc", map[string]any{"networkInterfaceId": unknown}, map[string][]string{"networkInterfaceId": {target}, "allocationId": {"eip"}}}
	}
	runStackCases(t, "public-addresses-only-on-nat", []stackCase{
		{"an Elastic IP on an interface named like a NAT (used to pass)", []node{plain, eip, assoc("nat-instance")}, "not a NAT interface"},
		{"an Elastic IP on an interface outside the stack (used to pass)", []node{eip, {typeEipAssociation, "assoc", map[string]any{"networkInterfaceId": "eni-0123"}, nil}}, `network interface "eni-0123"`},
		{"an Elastic IP on an instance (used to pass)", []node{{typeInstance, "web", map[string]any{}, nil},
			{typeEip, "direct", map[string]any{"instance": unknown}, map[string][]string{"instance": {"web"}}}}, "not a NAT interface"},
		{"on the NAT pair's members", []node{subnet, pairGroup, memberA, memberB, toA, eip, assoc("nat-instance-b")}, ""},
		{"an Elastic IP not associated here", []node{eip}, ""},
	})
}

// Prefix lists are examined when the stack has them, and refused when it does not.
func TestPrefixListSources(t *testing.T) {
	list := func(cidr string) node {
		return node{typePrefixList, "office", map[string]any{"id": "pl-0office", "entries": []any{map[string]any{"cidr": cidr}}}, nil}
	}
	fromList := node{typeSecurityGroup, "web", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "prefixListIds": []any{unknown}}}},
		map[string][]string{"ingress": {"office"}}}
	runStackCases(t, "no-ingress-from-anywhere-through-prefix-lists", []stackCase{
		{"a list of the stack with 0.0.0.0/1 (used to pass)", []node{list("0.0.0.0/1"), fromList}, "whose entry 0.0.0.0/1 counts as the internet"},
		{"an entry resource with 128.0.0.0/1 (used to pass)", []node{list("10.0.0.0/16"), fromList,
			{typePrefixListEntry, "wide", map[string]any{"cidr": "128.0.0.0/1"}, map[string][]string{"prefixListId": {"office"}}}}, "128.0.0.0/1"},
		{"a list outside the stack (used to pass)", []node{{typeIngressRule, "web", map[string]any{"ipProtocol": "tcp", "prefixListId": "pl-0123456789abcdef0"}, nil}}, "not in the stack"},
		{"a list of the stack by id", []node{list("192.0.2.0/24"), {typeSecurityGroupRule, "web", map[string]any{"type": "ingress", "prefixListIds": []any{"pl-0office"}}, nil}}, ""},
		{"a list of the stack, narrow", []node{list("198.51.100.0/24"), fromList}, ""},
		{"egress to a list outside the stack", []node{{typeEgressRule, "s3", map[string]any{"ipProtocol": "tcp", "prefixListId": "pl-s3"}, nil}}, ""},
	})
}

// The pack takes no config: nothing outside its code decides what it enforces.
func TestPackTakesNoConfig(t *testing.T) {
	pack, err := Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pack.Policies() {
		if p.ConfigSchema() != nil || p.EnforcementLevel() != policyx.EnforcementLevelMandatory {
			t.Errorf("%s: config %v, level %v; want none, mandatory", p.Name(), p.ConfigSchema(), p.EnforcementLevel())
		}
	}
}
