package lab

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/mockgraph"
)

// Resource type tokens the tests look at.
const (
	tVpc             = "aws:ec2/vpc:Vpc"
	tSubnet          = "aws:ec2/subnet:Subnet"
	tRouteTable      = "aws:ec2/routeTable:RouteTable"
	tRoute           = "aws:ec2/route:Route"
	tAssociation     = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	tIgw             = "aws:ec2/internetGateway:InternetGateway"
	tIgwAttachment   = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
	tSecurityGroup   = "aws:ec2/securityGroup:SecurityGroup"
	tDefaultSG       = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	tENI             = "aws:ec2/networkInterface:NetworkInterface"
	tEip             = "aws:ec2/eip:Eip"
	tEipAssociation  = "aws:ec2/eipAssociation:EipAssociation"
	tInstance        = "aws:ec2/instance:Instance"
	tFlowLog         = "aws:ec2/flowLog:FlowLog"
	tLogGroup        = "aws:cloudwatch/logGroup:LogGroup"
	tRole            = "aws:iam/role:Role"
	tRolePolicy      = "aws:iam/rolePolicy:RolePolicy"
	tPolicyAttach    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	tInstanceProfile = "aws:iam/instanceProfile:InstanceProfile"
)

// config turns "key", "value" pairs into the project's namespaced config.
func config(kv ...string) map[string]string {
	out := map[string]string{"aws:region": "ap-northeast-2"}
	for i := 0; i+1 < len(kv); i += 2 {
		out["nat-instance:"+kv[i]] = kv[i+1]
	}
	return out
}

// record runs the program under mocks and fails the test if the program fails.
func record(t *testing.T, cfg map[string]string) *mockgraph.Graph {
	t.Helper()
	g, err := mockgraph.Run(Program, cfg, mockgraph.Options{})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return g
}

func named(t *testing.T, g *mockgraph.Graph, typ, name string) mockgraph.Resource {
	t.Helper()
	r, err := g.Named(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// byID follows an input that refers to another resource by id.
func byID(t *testing.T, g *mockgraph.Graph, id, want string) mockgraph.Resource {
	t.Helper()
	r, ok := g.ByID(id)
	if !ok {
		t.Fatalf("%q refers to no registered resource", id)
	}
	if r.Type != want {
		t.Fatalf("%q is a %s, want a %s", id, r.Type, want)
	}
	return r
}

// routesOf returns the routes registered into a route table.
func routesOf(g *mockgraph.Graph, table mockgraph.Resource) []mockgraph.Resource {
	var out []mockgraph.Resource
	for _, r := range g.OfType(tRoute) {
		if r.String("routeTableId") == table.ID {
			out = append(out, r)
		}
	}
	return out
}

// tableOf returns the route table associated with a subnet.
func tableOf(t *testing.T, g *mockgraph.Graph, subnet mockgraph.Resource) mockgraph.Resource {
	t.Helper()
	var tables []mockgraph.Resource
	for _, a := range g.OfType(tAssociation) {
		if a.String("subnetId") == subnet.ID {
			tables = append(tables, byID(t, g, a.String("routeTableId"), tRouteTable))
		}
	}
	if len(tables) != 1 {
		t.Fatalf("subnet %s has %d route table associations, want 1", subnet.Name, len(tables))
	}
	return tables[0]
}

func TestLabTopologyAndAddresses(t *testing.T) {
	g := record(t, config())

	vpcs := g.OfType(tVpc)
	if len(vpcs) != 1 {
		t.Fatalf("%d VPCs, want 1", len(vpcs))
	}
	vpc := vpcs[0]
	if vpc.String("cidrBlock") != "10.40.0.0/16" || vpc.Inputs["enableDnsSupport"] != true || vpc.Inputs["enableDnsHostnames"] != true {
		t.Errorf("VPC inputs = %v, want 10.40.0.0/16 with DNS support and hostnames", vpc.Inputs)
	}

	igw := g.OfType(tIgw)
	attachments := g.OfType(tIgwAttachment)
	if len(igw) != 1 || len(attachments) != 1 {
		t.Fatalf("%d internet gateways and %d attachments, want 1 and 1", len(igw), len(attachments))
	}
	if attachments[0].String("vpcId") != vpc.ID || attachments[0].String("internetGatewayId") != igw[0].ID {
		t.Errorf("internet gateway attachment = %v, want %s on %s", attachments[0].Inputs, igw[0].ID, vpc.ID)
	}

	subnets := map[string]mockgraph.Resource{}
	for _, s := range g.OfType(tSubnet) {
		subnets[s.String("cidrBlock")] = s
		if s.String("vpcId") != vpc.ID || s.String("availabilityZone") != "ap-northeast-2a" || s.Inputs["mapPublicIpOnLaunch"] != false {
			t.Errorf("subnet %s = %v, want in the VPC, in ap-northeast-2a, no public IPs on launch", s.Name, s.Inputs)
		}
	}
	public, private := subnets["10.40.1.0/24"], subnets["10.40.2.0/24"]
	if len(subnets) != 2 || public.Name == "" || private.Name == "" {
		t.Fatalf("subnets %v, want exactly 10.40.1.0/24 and 10.40.2.0/24", slices.Collect(func(yield func(string) bool) {
			for cidr := range subnets {
				yield(cidr)
			}
		}))
	}

	// Public subnet: 0.0.0.0/0 -> internet gateway.
	publicRoutes := routesOf(g, tableOf(t, g, public))
	if len(publicRoutes) != 1 || publicRoutes[0].String("destinationCidrBlock") != "0.0.0.0/0" ||
		publicRoutes[0].String("gatewayId") != igw[0].ID {
		t.Errorf("public routes %v, want only 0.0.0.0/0 -> %s", publicRoutes, igw[0].ID)
	}

	// Private subnet: its own table, whose only route is 0.0.0.0/0 -> the NAT's ENI.
	privateTable := tableOf(t, g, private)
	if privateTable.ID == tableOf(t, g, public).ID {
		t.Fatal("the private subnet shares the public route table")
	}
	privateRoutes := routesOf(g, privateTable)
	if len(privateRoutes) != 1 {
		t.Fatalf("private route table has %d routes, want 1 (0.0.0.0/0 -> NAT ENI)", len(privateRoutes))
	}
	route := privateRoutes[0]
	eni := byID(t, g, route.String("networkInterfaceId"), tENI)
	if route.String("destinationCidrBlock") != "0.0.0.0/0" || route.String("gatewayId") != "" || route.String("instanceId") != "" {
		t.Errorf("private default route = %v, want 0.0.0.0/0 to a network interface only", route.Inputs)
	}
	if got := eni.Strings("privateIps"); !slices.Equal(got, []string{"10.40.1.100"}) || eni.String("subnetId") != public.ID {
		t.Errorf("route target ENI has IPs %v in %s, want [10.40.1.100] in the public subnet", got, eni.String("subnetId"))
	}

	// Instances: the NAT on that ENI, the private ones at their addresses in the private subnet.
	nat := named(t, g, tInstance, "nat-instance")
	nics := nat.Objects("networkInterfaces")
	if len(nics) != 1 || nics[0]["networkInterfaceId"] != eni.ID || nics[0]["deviceIndex"] != 0.0 {
		t.Errorf("NAT instance interfaces = %v, want %s at device index 0", nics, eni.ID)
	}
	for i, ip := range []string{"10.40.2.101", "10.40.2.102"} {
		p := named(t, g, tInstance, []string{"private-ec2-10-40-2-101", "private-ec2-10-40-2-102"}[i])
		if p.String("privateIp") != ip || p.String("subnetId") != private.ID {
			t.Errorf("%s at %s in %s, want %s in the private subnet", p.Name, p.String("privateIp"), p.String("subnetId"), ip)
		}
	}
	if n := len(g.OfType(tInstance)); n != 3 {
		t.Errorf("%d instances, want 3 (NAT + 2 private)", n)
	}
}

func TestNatInterfaceForwardsAndHoldsTheElasticIP(t *testing.T) {
	g := record(t, config())
	eni := named(t, g, tENI, "nat-instance")
	if eni.Inputs["sourceDestCheck"] != false {
		t.Errorf("NAT ENI sourceDestCheck = %v, want false (set on the ENI)", eni.Inputs["sourceDestCheck"])
	}
	nat := named(t, g, tInstance, "nat-instance")
	if _, set := nat.Inputs["sourceDestCheck"]; set {
		t.Error("sourceDestCheck is set on the NAT instance too; it conflicts with an attached ENI")
	}

	eips := g.OfType(tEip)
	if len(eips) != 1 || eips[0].String("domain") != "vpc" {
		t.Fatalf("Elastic IPs %v, want one with domain vpc", eips)
	}
	assocs := g.OfType(tEipAssociation)
	if len(assocs) != 1 {
		t.Fatalf("%d EIP associations, want 1", len(assocs))
	}
	assoc := assocs[0]
	if assoc.String("allocationId") != eips[0].State["allocationId"] || assoc.String("networkInterfaceId") != eni.ID {
		t.Errorf("EIP association = %v, want allocation %v on %s", assoc.Inputs, eips[0].State["allocationId"], eni.ID)
	}
	attachment := g.OfType(tIgwAttachment)[0]
	if !slices.Contains(assoc.DependsOn, attachment.URN) {
		t.Errorf("EIP association depends on %v, want the internet gateway attachment (Gateway.NotAttached)", assoc.DependsOn)
	}
	if !slices.Contains(nat.DependsOn, assoc.URN) {
		t.Errorf("NAT instance depends on %v, want the EIP association (boot may need the internet)", nat.DependsOn)
	}
	if !nat.DeleteBeforeReplace {
		t.Error("NAT instance is not delete-before-replace: a replacement could not take the ENI")
	}
}

func TestNatUserDataRunsTheBootScriptAtEveryBoot(t *testing.T) {
	g := record(t, config("vpcCidr", "10.99.0.0/16", "publicSubnetCidr", "10.99.1.0/24",
		"privateSubnetCidr", "10.99.2.0/24", "natPrivateIp", "10.99.1.100", "privateInstanceIps", `["10.99.2.101"]`))
	nat := named(t, g, tInstance, "nat-instance")
	if script, _ := fileOf(t, nat, compute.NatScriptPath); script != compute.NatBootScript {
		t.Errorf("NAT user data writes %s as\n%s\nwant the boot script unchanged", compute.NatScriptPath, script)
	}
	unit, _ := fileOf(t, nat, compute.NatUnitPath)
	for _, want := range []string{"\nExecStart=" + compute.NatScriptPath + " 10.99.0.0/16\n", "\nWantedBy=multi-user.target\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("NAT unit lacks %q:\n%s", want, unit)
		}
	}
	if userData := nat.String("userData"); !strings.Contains(userData, "\nsystemctl enable --now "+compute.NatUnitName+"\n") {
		t.Errorf("NAT user data does not start %s:\n%s", compute.NatUnitName, userData)
	}
	if nat.Inputs["userDataReplaceOnChange"] != true {
		t.Error("userDataReplaceOnChange is not true: a changed boot script would never run")
	}
}

func TestPrivateInstancesDoNotWaitForTheNat(t *testing.T) {
	g := record(t, config())
	nat := named(t, g, tInstance, "nat-instance")
	for _, name := range []string{"private-ec2-10-40-2-101", "private-ec2-10-40-2-102"} {
		p := named(t, g, tInstance, name)
		if slices.Contains(p.DependsOn, nat.URN) {
			t.Errorf("%s depends on the NAT instance; it only slows deployment", name)
		}
		if !p.DeleteBeforeReplace {
			t.Errorf("%s is not delete-before-replace: its fixed IP blocks a replacement", name)
		}
	}
}

func TestInstancesAreHardened(t *testing.T) {
	g := record(t, config())
	profiles := g.OfType(tInstanceProfile)
	if len(profiles) != 2 {
		t.Fatalf("%d instance profiles, want 2 (private instances, NAT instances)", len(profiles))
	}
	for _, profile := range profiles {
		role := byIDName(t, g, profile.String("role"), tRole)
		attached := false
		for _, a := range g.OfType(tPolicyAttach) {
			if a.String("role") == role.State["name"] && strings.HasSuffix(a.String("policyArn"), ":iam::aws:policy/AmazonSSMManagedInstanceCore") {
				attached = true
			}
		}
		if !attached {
			t.Errorf("instance role %s has no AmazonSSMManagedInstanceCore: Session Manager cannot reach its instances", role.Name)
		}
		if !strings.Contains(role.String("assumeRolePolicy"), "ec2.amazonaws.com") {
			t.Errorf("instance role trust = %s, want ec2.amazonaws.com", role.String("assumeRolePolicy"))
		}
	}
	profileNames := []any{profiles[0].State["name"], profiles[1].State["name"]}

	for _, inst := range g.OfType(tInstance) {
		md := inst.Object("metadataOptions")
		if md["httpTokens"] != "required" || md["httpPutResponseHopLimit"] != 1.0 {
			t.Errorf("%s metadata options %v, want IMDSv2 required with hop limit 1", inst.Name, md)
		}
		root := inst.Object("rootBlockDevice")
		if root["encrypted"] != true || root["volumeType"] != "gp3" {
			t.Errorf("%s root volume %v, want encrypted gp3", inst.Name, root)
		}
		if !slices.Contains(profileNames, any(inst.String("iamInstanceProfile"))) {
			t.Errorf("%s instance profile %q, want one of %v", inst.Name, inst.String("iamInstanceProfile"), profileNames)
		}
		if inst.Inputs["associatePublicIpAddress"] == true {
			t.Errorf("%s asks for a public IP; the only public address is the NAT's Elastic IP", inst.Name)
		}
		if credits := inst.Object("creditSpecification"); credits["cpuCredits"] != "standard" {
			t.Errorf("%s CPU credits %v, want standard (no surplus charges)", inst.Name, credits)
		}
	}
}

// byIDName finds a resource referred to by its name (IAM refers to roles by name).
func byIDName(t *testing.T, g *mockgraph.Graph, name, typ string) mockgraph.Resource {
	t.Helper()
	for _, r := range g.OfType(typ) {
		if r.State["name"] == name {
			return r
		}
	}
	t.Fatalf("no %s named %q", typ, name)
	return mockgraph.Resource{}
}

func TestFlowLogsAndDefaultSecurityGroup(t *testing.T) {
	g := record(t, config())
	vpc := g.OfType(tVpc)[0]

	logs := g.OfType(tFlowLog)
	if len(logs) != 1 || logs[0].String("vpcId") != vpc.ID || logs[0].String("trafficType") != "ALL" {
		t.Fatalf("flow logs %v, want one for all traffic of %s", logs, vpc.ID)
	}
	group := g.OfType(tLogGroup)
	if len(group) != 1 || logs[0].String("logDestination") != group[0].State["arn"] {
		t.Fatalf("flow log destination %q, want the log group", logs[0].String("logDestination"))
	}
	if days := group[0].Inputs["retentionInDays"]; days != float64(FlowLogRetentionDays) {
		t.Errorf("flow log retention %v days, want %d", days, FlowLogRetentionDays)
	}
	var role mockgraph.Resource
	for _, r := range g.OfType(tRole) {
		if r.State["arn"] == logs[0].String("iamRoleArn") {
			role = r
		}
	}
	trust := role.String("assumeRolePolicy")
	if !strings.Contains(trust, "vpc-flow-logs.amazonaws.com") || !strings.Contains(trust, "aws:SourceAccount") {
		t.Errorf("flow log role trust %q, want vpc-flow-logs limited to this account", trust)
	}
	policies := slices.DeleteFunc(g.OfType(tRolePolicy), func(p mockgraph.Resource) bool { return p.String("role") != role.ID })
	if len(policies) != 1 {
		t.Fatalf("flow log role policies %v, want one on the flow log role", policies)
	}
	for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
		if !strings.Contains(policies[0].String("policy"), action) || !strings.Contains(policies[0].String("policy"), fmt.Sprint(group[0].State["arn"])) {
			t.Errorf("flow log policy %s lacks %s on the log group", policies[0].String("policy"), action)
		}
	}
	if !slices.Contains(logs[0].DependsOn, policies[0].URN) {
		t.Error("the flow log does not wait for its role's policy: first deliveries would be denied")
	}

	defaults := g.OfType(tDefaultSG)
	if len(defaults) != 1 || defaults[0].String("vpcId") != vpc.ID {
		t.Fatalf("default security groups %v, want the VPC's, managed", defaults)
	}
	if len(defaults[0].Objects("ingress")) != 0 || len(defaults[0].Objects("egress")) != 0 {
		t.Errorf("default security group keeps rules %v", defaults[0].Inputs)
	}
}

func TestEveryResourceIsParentedToAComponent(t *testing.T) {
	g := record(t, config())
	components := map[string]bool{}
	for _, r := range g.Resources {
		if !r.Custom {
			components[r.URN] = true
			if !strings.HasPrefix(r.Type, "nat-instance:") {
				t.Errorf("component %s has type %s, want nat-instance:<module>:<Type>", r.Name, r.Type)
			}
		}
	}
	for _, r := range g.Resources {
		if r.Custom && !components[r.Parent] {
			t.Errorf("%s %s has parent %q, want one of the components", r.Type, r.Name, r.Parent)
		}
	}
}
