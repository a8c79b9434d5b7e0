package lab

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/mockgraph"
	"nat-instance/natpair"
	"nat-instance/settings"
	"nat-instance/userdata"
)

const (
	tNatPair     = "nat-instance:compute:NatPair"
	tNatInstance = "nat-instance:compute:NatInstance"
	tMetricAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
)

// pairConfig is the lab with natHighAvailability on.
func pairConfig(kv ...string) map[string]string {
	return config(append([]string{"natHighAvailability", "true"}, kv...)...)
}

// childrenOf returns the resources whose parent is the component.
func childrenOf(g *mockgraph.Graph, component mockgraph.Resource) []mockgraph.Resource {
	var out []mockgraph.Resource
	for _, r := range g.Resources {
		if r.Parent == component.URN {
			out = append(out, r)
		}
	}
	return out
}

// envValue reads one setting of a member's settings file.
func envValue(t *testing.T, instance mockgraph.Resource, key string) string {
	t.Helper()
	for line := range strings.Lines(memberEnv(t, instance)) {
		if value, ok := strings.CutPrefix(strings.TrimSpace(line), key+"="); ok {
			return value
		}
	}
	t.Fatalf("%s's settings lack %s", instance.Name, key)
	return ""
}

// memberEnv reads the settings file a member's user data installs.
func memberEnv(t *testing.T, instance mockgraph.Resource) string {
	t.Helper()
	env, ok := fileOf(t, instance, natpair.EnvPath)
	if !ok {
		t.Fatalf("%s's user data installs no %s", instance.Name, natpair.EnvPath)
	}
	return env
}

func TestNatPairResources(t *testing.T) {
	g := record(t, pairConfig())
	if n := len(g.OfType(tNatInstance)); n != 0 {
		t.Errorf("%d NatInstance components with natHighAvailability on, want 0", n)
	}
	pair := named(t, g, tNatPair, "nat-instance")
	var children []string
	for _, r := range childrenOf(g, pair) {
		children = append(children, r.Type[strings.LastIndex(r.Type, ":")+1:]+" "+r.Name)
	}
	slices.Sort(children)
	want := []string{
		"Eip nat-instance", "Eip nat-instance-a", "Eip nat-instance-b",
		"EipAssociation nat-instance-a", "EipAssociation nat-instance-b",
		"Instance nat-instance-a", "Instance nat-instance-b",
		"MetricAlarm nat-instance-a-allowance-exceeded", "MetricAlarm nat-instance-a-conntrack-table",
		"MetricAlarm nat-instance-a-instance-check", "MetricAlarm nat-instance-a-system-check",
		"MetricAlarm nat-instance-b-allowance-exceeded", "MetricAlarm nat-instance-b-conntrack-table",
		"MetricAlarm nat-instance-b-instance-check", "MetricAlarm nat-instance-b-system-check",
		"MetricAlarm nat-instance-identity", "MetricAlarm nat-instance-takeover", "NetworkInterface nat-instance-a", "NetworkInterface nat-instance-b",
		"RolePolicy nat-instance-pair", "Route nat-instance-route-1", "SecurityGroup nat-instance",
		"SecurityGroup nat-instance-untracked", "SessionManagerProfile nat-instance-pair",
	}
	if !slices.Equal(children, want) {
		t.Errorf("pair children\n %v\nwant\n %v", children, want)
	}

	sg, untracked := named(t, g, tSecurityGroup, "nat-instance"), named(t, g, tSecurityGroup, "nat-instance-untracked")
	floating := named(t, g, tEip, "nat-instance")
	attachment := g.OfType(tIgwAttachment)[0]
	route := named(t, g, tRoute, "nat-instance-route-1")
	var priorities [natpair.Members]int
	for i := range natpair.Members {
		name, ip := natpair.MemberName("nat-instance", i), fmt.Sprintf("10.40.1.%d", 101+i)
		eni := named(t, g, tENI, name)
		if got := eni.Strings("privateIps"); !slices.Equal(got, []string{ip}) || eni.Inputs["sourceDestCheck"] != false ||
			!slices.Equal(eni.Strings("securityGroups"), []string{sg.ID, untracked.ID}) {
			t.Errorf("%s ENI = %v, want [%s] only (not the floating address), source/dest check off, the pair's group and the untracked one", name, eni.Inputs, ip)
		}
		if !slices.Equal(eni.IgnoreChanges, []string{"privateIps", "privateIpList", "privateIpsCount", "securityGroups"}) {
			t.Errorf("%s ENI ignoreChanges %v, want exactly the fields the floating address moves, and its groups until it rolls", name, eni.IgnoreChanges)
		}

		assoc := named(t, g, tEipAssociation, name)
		eip := named(t, g, tEip, name)
		if assoc.String("allocationId") != eip.State["allocationId"] || assoc.String("networkInterfaceId") != eni.ID ||
			assoc.String("privateIpAddress") != ip || !slices.Contains(assoc.DependsOn, attachment.URN) {
			t.Errorf("%s association = %v (dependsOn %v), want its own Elastic IP on %s %s after the gateway attachment", name, assoc.Inputs, assoc.DependsOn, eni.ID, ip)
		}

		member := named(t, g, tInstance, name)
		nics := member.Objects("networkInterfaces")
		if len(nics) != 1 || nics[0]["networkInterfaceId"] != eni.ID {
			t.Errorf("%s interfaces %v, want %s", name, nics, eni.ID)
		}
		policy := named(t, g, tRolePolicy, "nat-instance-pair")
		if member.Inputs["userDataReplaceOnChange"] != true || !member.DeleteBeforeReplace ||
			!slices.Contains(member.DependsOn, assoc.URN) || !slices.Contains(member.DependsOn, policy.URN) {
			t.Errorf("%s: replaceOnChange %v, deleteBeforeReplace %v, dependsOn %v; want replaced on new user data, old one first, after its association and the role policy",
				name, member.Inputs["userDataReplaceOnChange"], member.DeleteBeforeReplace, member.DependsOn)
		}
		if !slices.Equal(member.IgnoreChanges, []string{"secondaryPrivateIps", "ami", "instanceType", "keyName", "userDataBase64"}) {
			t.Errorf("%s ignoreChanges %v, want exactly [secondaryPrivateIps] (where the floating address reads back) and what a member keeps until it rolls", name, member.IgnoreChanges)
		}
		if profile := named(t, g, tInstanceProfile, "nat-instance-pair"); member.String("iamInstanceProfile") != profile.State["name"] {
			t.Errorf("%s profile %q, want the pair's own %v", name, member.String("iamInstanceProfile"), profile.State["name"])
		}
		env := memberEnv(t, member)
		for _, line := range []string{
			"NAT_FLOATING_IP=10.40.1.100", "NAT_PREFIX_LEN=24", "NAT_SELF_IP=" + ip,
			fmt.Sprintf("NAT_PEER_IP=10.40.1.%d", 102-i), "NAT_SELF_ENI=" + eni.ID,
			fmt.Sprintf("NAT_ALLOCATION_ID=%v", floating.State["allocationId"]),
			fmt.Sprintf("NAT_ROUTE_TABLE_IDS=%q", route.String("routeTableId")), "NAT_REGION=ap-northeast-2", `NAT_SSH_CIDRS=""`,
		} {
			if !strings.Contains(env, line+"\n") {
				t.Errorf("%s's %s lacks %s:\n%s", name, natpair.EnvPath, line, env)
			}
		}
		keepalived, _ := fileOf(t, member, natpair.KeepalivedPath)
		if !strings.Contains(keepalived, "virtual_router_id 1\n") {
			t.Errorf("%s: keepalived.conf has no virtual_router_id 1:\n%s", name, keepalived)
		}
		if _, after, ok := strings.Cut(keepalived, "\tpriority "); ok {
			var p int
			_, _ = fmt.Sscan(after, &p)
			priorities[i] = p
		}
	}
	// Member a starts active (natStartedActive, natInstanceId): its VRRP priority is the higher.
	if !(priorities[0] > priorities[1]) {
		t.Errorf("VRRP priorities %v, want a's above b's", priorities)
	}

	// The floating Elastic IP is associated by the active member, never by Pulumi.
	if !slices.Equal(floating.IgnoreChanges, []string{"networkInterface", "instance", "associateWithPrivateIp", "privateIp", "associationId"}) || floating.String("networkInterface") != "" {
		t.Errorf("floating Elastic IP ignoreChanges %v, inputs %v: want its association fields unset and left to the members", floating.IgnoreChanges, floating.Inputs)
	}
	for _, a := range g.OfType(tEipAssociation) {
		if a.String("allocationId") == floating.State["allocationId"] {
			t.Errorf("EipAssociation %s declares the floating Elastic IP's association: a failover would make the next up move it back", a.Name)
		}
	}

	// The route starts on member a; keepalived owns its target afterwards.
	if route.String("networkInterfaceId") != named(t, g, tENI, "nat-instance-a").ID || route.String("destinationCidrBlock") != "0.0.0.0/0" {
		t.Errorf("route = %v, want 0.0.0.0/0 to member a's interface", route.Inputs)
	}
	if !slices.Equal(route.IgnoreChanges, []string{"networkInterfaceId"}) {
		t.Errorf("route ignoreChanges %v, want exactly [networkInterfaceId]", route.IgnoreChanges)
	}
}

// The members' role may make exactly the three calls of a takeover, on this pair's resources, and
// read where the identity is ("*": EC2's Describe actions take no resource).
func TestNatPairRoleMayMoveOnlyItsOwnIdentity(t *testing.T) {
	g := record(t, config("natHighAvailability", "true", "zoneCount", "2"))
	arn := func(typ, name string) string { return fmt.Sprint(named(t, g, typ, name).State["arn"]) }
	for n, nat := range []string{"nat-instance", "nat-instance-2"} {
		var policy struct {
			Statement []struct {
				Effect    string
				Action    any
				Resource  any
				Condition any
			}
		}
		doc := named(t, g, tRolePolicy, nat+"-pair")
		if err := json.Unmarshal([]byte(doc.String("policy")), &policy); err != nil {
			t.Fatalf("%s policy: %v", nat, err)
		}
		if doc.String("role") != named(t, g, tRole, nat+"-pair").State["name"] {
			t.Errorf("%s policy is on role %q, want the pair's own", nat, doc.String("role"))
		}
		got := map[string][]string{}
		for _, s := range policy.Statement {
			if s.Effect != "Allow" || s.Condition != nil {
				t.Errorf("%s statement %+v: want a plain Allow", nat, s)
			}
			resources := mockgraph.AsStrings(s.Resource)
			if one, ok := s.Resource.(string); ok {
				resources = []string{one}
			}
			got[fmt.Sprint(s.Action)] = append(got[fmt.Sprint(s.Action)], resources...)
		}
		enis := []string{arn(tENI, natpair.MemberName(nat, 0)), arn(tENI, natpair.MemberName(nat, 1))}
		want := map[string][]string{
			"ec2:AssignPrivateIpAddresses": enis,
			"ec2:AssociateAddress":         append([]string{arn(tEip, nat)}, enis...),
			"ec2:ReplaceRoute":             {arn(tRouteTable, fmt.Sprintf("nat-lab-private-%d", n+1))},
			fmt.Sprint([]any{"ec2:DescribeAddresses", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables"}): {"*"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s permissions\n %v\nwant\n %v", nat, got, want)
		}
		// Besides the takeover calls, the role may only publish the members' capacity metrics.
		var inline []string
		for _, p := range g.OfType(tRolePolicy) {
			if p.String("role") == doc.String("role") {
				inline = append(inline, p.Name)
			}
		}
		if want := []string{nat + "-pair", nat + "-pair-put-metrics"}; !slices.Equal(inline, want) {
			t.Errorf("%s role inline policies %v, want %v", nat, inline, want)
		}
		if metrics, _ := compute.PutNatMetricsPolicy(); named(t, g, tRolePolicy, nat+"-pair-put-metrics").String("policy") != metrics {
			t.Errorf("%s role's metrics policy is not PutNatMetricsPolicy", nat)
		}
		attached := named(t, g, tPolicyAttach, nat+"-pair-ssm-core")
		if !strings.HasSuffix(attached.String("policyArn"), ":iam::aws:policy/AmazonSSMManagedInstanceCore") {
			t.Errorf("%s role attaches %s, want AmazonSSMManagedInstanceCore", nat, attached.String("policyArn"))
		}
	}
	var attachments []string
	for _, a := range g.OfType(tPolicyAttach) {
		attachments = append(attachments, a.Name)
	}
	if want := []string{"nat-instance-2-pair-ssm-core", "nat-instance-pair-ssm-core", "nat-lab-ssm-ssm-core"}; !slices.Equal(attachments, want) {
		t.Errorf("managed policy attachments %v, want %v: nothing more for the pairs", attachments, want)
	}
}

// VRRP and conntrackd's sync go between a pair's members only, by security group.
func TestNatPairMembersTalkByGroupOnly(t *testing.T) {
	g := record(t, pairConfig())
	var peer []string
	for _, r := range rulesOf(t, g) {
		if r.self {
			if r.group != "nat-instance" || len(r.cidrs) != 0 || len(r.groups) != 0 {
				t.Errorf("self rule %s: want the pair's group only, no CIDR", r)
			}
			peer = append(peer, fmt.Sprintf("%s %s %d-%d", r.direction, r.protocol, r.from, r.to))
			continue
		}
		// The forwarding rules' UDP 0-65535 also covers the sync port: a security group cannot
		// tell forwarded traffic from traffic to the member (README "NAT pairs").
		if r.protocol == "112" || (r.from == natpair.SyncPort && r.to == natpair.SyncPort) {
			t.Errorf("rule %s opens VRRP or the sync port other than member to member", r)
		}
	}
	slices.Sort(peer)
	want := []string{"egress 112 0-0", "egress udp 3780-3780", "ingress 112 0-0", "ingress udp 3780-3780"}
	if !slices.Equal(peer, want) {
		t.Errorf("member-to-member rules %v, want %v", peer, want)
	}
}

func TestNatPairAlarmsBringADeadMemberBack(t *testing.T) {
	g := record(t, pairConfig())
	for i := range natpair.Members {
		member := named(t, g, tInstance, natpair.MemberName("nat-instance", i))
		for check, action := range map[string]string{"system": "recover", "instance": "reboot"} {
			alarm := named(t, g, tMetricAlarm, fmt.Sprintf("%s-%s-check", member.Name, check))
			metric := "StatusCheckFailed_" + strings.ToUpper(check[:1]) + check[1:]
			dims := alarm.Object("dimensions")
			if alarm.String("metricName") != metric || alarm.String("namespace") != "AWS/EC2" || dims["InstanceId"] != member.ID ||
				!slices.Equal(alarm.Strings("alarmActions"), []string{"arn:aws:automate:ap-northeast-2:ec2:" + action}) {
				t.Errorf("alarm %s = %v, want %s of %s -> %s", alarm.Name, alarm.Inputs, metric, member.ID, action)
			}
		}
	}
}

func TestNatPairOutputs(t *testing.T) {
	g := record(t, pairConfig())
	floating := named(t, g, tEip, "nat-instance")
	a, b := named(t, g, tInstance, "nat-instance-a"), named(t, g, tInstance, "nat-instance-b")
	eipA, eipB := named(t, g, tEip, "nat-instance-a"), named(t, g, tEip, "nat-instance-b")
	want := map[string]any{
		"natPublicIp":          floating.State["publicIp"],
		"natPrivateIp":         "10.40.1.100",
		"natInstanceId":        a.ID,
		"natMemberInstanceIds": []any{[]any{a.ID, b.ID}},
		"natMemberPrivateIps":  []any{[]any{"10.40.1.101", "10.40.1.102"}},
		"natMemberPublicIps":   []any{[]any{eipA.State["publicIp"], eipB.State["publicIp"]}},
		"natStartedActive":     []any{"nat-instance-a"},
		"natMemberSessionCommands": []any{[]any{
			"aws ssm start-session --region ap-northeast-2 --target " + a.ID,
			"aws ssm start-session --region ap-northeast-2 --target " + b.ID,
		}},
	}
	for key, w := range want {
		if got := fmt.Sprint(g.Outputs[key]); got != fmt.Sprint(w) {
			t.Errorf("output %s = %s, want %s", key, got, fmt.Sprint(w))
		}
	}
	if pub := fmt.Sprint(floating.State["publicIp"]); pub == fmt.Sprint(eipA.State["publicIp"]) || pub == fmt.Sprint(eipB.State["publicIp"]) {
		t.Errorf("natPublicIp %s is a member's address", pub)
	}

	// Without pairs, none of the pair outputs exist.
	for key := range want {
		if _, set := record(t, config()).Outputs[key]; set && strings.HasPrefix(key, "natMember") {
			t.Errorf("output %s exists without natHighAvailability", key)
		}
	}
}

// Every NAT of a multi-zone stack is a pair, with its own VRRP router id and routes.
func TestNatPairPerZoneAndSingle(t *testing.T) {
	for strategy, pairs := range map[string]int{"perZone": 3, "single": 1} {
		t.Run(strategy, func(t *testing.T) {
			g := record(t, config("natHighAvailability", "true", "zoneCount", "3", "natStrategy", strategy))
			if n := len(g.OfType(tNatPair)); n != pairs {
				t.Fatalf("%d pairs, want %d", n, pairs)
			}
			if n := len(g.OfType(tInstance)); n != 2*pairs+2 {
				t.Errorf("%d instances, want %d members + 2 private", n, 2*pairs)
			}
			for i := range pairs {
				nat := settings.NatName(i)
				keepalived, _ := fileOf(t, named(t, g, tInstance, nat+"-b"), natpair.KeepalivedPath)
				if !strings.Contains(keepalived, fmt.Sprintf("virtual_router_id %d\n", i+1)) {
					t.Errorf("%s: keepalived.conf lacks virtual_router_id %d", nat, i+1)
				}
				env := memberEnv(t, named(t, g, tInstance, nat+"-a"))
				wantIP := fmt.Sprintf("NAT_SELF_IP=10.40.%d.101\n", 2*i+1)
				if !strings.Contains(env, wantIP) {
					t.Errorf("%s-a env lacks %s", nat, wantIP)
				}
			}
			if strategy == "single" {
				env := memberEnv(t, named(t, g, tInstance, "nat-instance-a"))
				var tables []string
				for _, r := range g.OfType(tRoute) {
					if r.String("networkInterfaceId") != "" {
						tables = append(tables, r.String("routeTableId"))
					}
				}
				if len(tables) != 3 || !strings.Contains(env, fmt.Sprintf("NAT_ROUTE_TABLE_IDS=%q", strings.Join(tables, " "))) {
					t.Errorf("single pair's env does not list the 3 route tables %v:\n%s", tables, env)
				}
			}
		})
	}
}

func TestNatPairConfigMistakes(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"members without pairs", []string{"natMemberIps", `["10.40.1.11","10.40.1.12"]`},
			[]string{`natMemberIps = "10.40.1.11, 10.40.1.12"`, "natHighAvailability is false"}},
		{"not a boolean", []string{"natHighAvailability", "yes please"},
			[]string{`natHighAvailability = "yes please"`, "true", "false"}},
		{"one member", []string{"natHighAvailability", "true", "natMemberIps", `["10.40.1.11"]`},
			[]string{`natMemberIps = "10.40.1.11"`, "has 1 entries", "two per NAT"}},
		{"member outside the subnet", []string{"natHighAvailability", "true", "natMemberIps", `["10.40.1.11","10.40.2.12"]`},
			[]string{`natMemberIps = "10.40.2.12"`, "inside the public subnet 10.40.1.0/24"}},
		{"member reserved", []string{"natHighAvailability", "true", "natMemberIps", `["10.40.1.1","10.40.1.12"]`},
			[]string{`natMemberIps = "10.40.1.1"`, "reserved by AWS", "10.40.1.4 to 10.40.1.254"}},
		{"member is the NAT address", []string{"natHighAvailability", "true", "natMemberIps", `["10.40.1.100","10.40.1.12"]`},
			[]string{`natMemberIps = "10.40.1.100"`, "already used by a NAT's floating address"}},
		{"members clash", []string{"natHighAvailability", "true", "natMemberIps", `["10.40.1.12","10.40.1.12"]`},
			[]string{`natMemberIps = "10.40.1.12"`, "already used by natMemberIps"}},
		{"no room after the NAT address", []string{"natHighAvailability", "true", "natPrivateIp", "10.40.1.253"},
			[]string{`natMemberIps = "10.40.1.255"`, "carved right after the NAT address 10.40.1.253", "give natMemberIps"}},
		{"pair at the end of a /28 public subnet", []string{"natHighAvailability", "true", "publicSubnetCidr", "10.40.1.0/28", "natPrivateIp", "10.40.1.13"},
			[]string{`natMemberIps = "10.40.1.15"`, "carved right after the NAT address 10.40.1.13", "10.40.1.4 to 10.40.1.14"}},
		{"second NAT's members in the first zone", []string{"natHighAvailability", "true", "zoneCount", "2",
			"natMemberIps", `["10.40.1.11","10.40.1.12","10.40.1.13","10.40.3.14"]`},
			[]string{`natMemberIps = "10.40.1.13"`, "inside the public subnet of zone 2 10.40.3.0/24"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectConfigError(t, config(tc.kv...), tc.want...) })
	}

	// A /28 public subnet has room for a pair: the NAT takes its first usable address, the
	// members the next two.
	small := record(t, pairConfig("publicSubnetCidr", "10.40.1.0/28"))
	for name, ip := range map[string]string{"nat-instance-a": "10.40.1.5", "nat-instance-b": "10.40.1.6"} {
		if got := named(t, small, tENI, name).Strings("privateIps"); !slices.Equal(got, []string{ip}) {
			t.Errorf("/28: %s at %v, want %s", name, got, ip)
		}
	}
	if small.Outputs["natPrivateIp"] != "10.40.1.4" {
		t.Errorf("/28: natPrivateIp %v, want 10.40.1.4", small.Outputs["natPrivateIp"])
	}

	// Members given in NAT order land in their NAT's pair.
	g := record(t, config("natHighAvailability", "true", "zoneCount", "2",
		"natMemberIps", `["10.40.1.11","10.40.1.12","10.40.3.13","10.40.3.14"]`))
	for name, ip := range map[string]string{"nat-instance-a": "10.40.1.11", "nat-instance-b": "10.40.1.12", "nat-instance-2-a": "10.40.3.13", "nat-instance-2-b": "10.40.3.14"} {
		if got := named(t, g, tENI, name).Strings("privateIps"); !slices.Equal(got, []string{ip}) {
			t.Errorf("%s at %v, want %s", name, got, ip)
		}
	}
}

// userDataOf is what an instance runs at first boot.
func userDataOf(t *testing.T, inst mockgraph.Resource) string {
	t.Helper()
	text, err := userdata.FirstBoot(inst.String("userData"), inst.String("userDataBase64"))
	if err != nil {
		t.Fatalf("%s: %v", inst.Name, err)
	}
	return text
}

// fileOf is what an instance's user data writes at path.
func fileOf(t *testing.T, inst mockgraph.Resource, path string) (string, bool) {
	t.Helper()
	script, err := userdata.Read(inst.String("userData"), inst.String("userDataBase64"))
	if err != nil {
		t.Fatalf("%s: %v", inst.Name, err)
	}
	f, ok := script.File(path)
	return f.Content, ok
}

// EC2 takes at most 16 KB of user data (before base64): every instance's must fit, the NAT pair
// members' (gzipped) with the most route tables a NAT serves here.
func TestUserDataFitsEC2sLimit(t *testing.T) {
	for _, cfg := range []map[string]string{config(), pairConfig(),
		config("zoneCount", "4", "natStrategy", "single", "natHighAvailability", "true")} {
		g := record(t, cfg)
		for _, inst := range g.OfType(tInstance) {
			size := len(inst.String("userData"))
			if packed := inst.String("userDataBase64"); packed != "" {
				raw, err := base64.StdEncoding.DecodeString(packed)
				if err != nil {
					t.Fatalf("%s: %v", inst.Name, err)
				}
				size = len(raw)
			}
			if size > compute.MaxUserData {
				t.Errorf("%s: user data is %d bytes, EC2 takes at most %d", inst.Name, size, compute.MaxUserData)
			}
		}
	}
}
