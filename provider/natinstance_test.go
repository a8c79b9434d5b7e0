package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// server runs the provider in pulumi-go-provider's integration server. With a recorder, what
// a Construct registers is recorded exactly as the Go program's tests record it.
func server(t *testing.T, rec *mockgraph.Recorder) integration.Server {
	t.Helper()
	provider, err := Provider()
	if err != nil {
		t.Fatal(err)
	}
	opts := []integration.ServerOption{integration.WithProvider(provider)}
	if rec != nil {
		opts = append(opts, integration.WithMocks(rec.Monitor()))
	}
	s, err := integration.NewServer(t.Context(), Name, semver.MustParse(Version), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// child is a resource as it compares across the two runs: URNs (whose stack and project differ
// between the runners) reduced to type and name.
type child struct {
	Inputs              map[string]any
	DependsOn           []string
	DeleteBeforeReplace bool
	IgnoreChanges       []string
}

// children returns what the component of type token named name registered, its components'
// children included, by type and name.
func children(t *testing.T, g *mockgraph.Graph, token, name string) map[string]child {
	t.Helper()
	if _, err := g.Named(token, name); err != nil {
		t.Fatal(err)
	}
	under := map[string]bool{token + "::" + name: true}
	out := map[string]child{}
	for grown := true; grown; {
		grown = false
		for _, r := range g.Resources {
			key := r.Type + "::" + r.Name
			if r.Parent == "" || !under[typeAndName(r.Parent)] || under[key] {
				continue
			}
			under[key], grown = true, true
			var deps []string
			for _, d := range r.DependsOn {
				deps = append(deps, typeAndName(d))
			}
			slices.Sort(deps)
			out[key] = child{r.Inputs, deps, r.DeleteBeforeReplace, r.IgnoreChanges}
		}
	}
	return out
}

func typeAndName(u string) string {
	return string(urn.URN(u).Type()) + "::" + urn.URN(u).Name()
}

// devWith is the dev stack's configuration with some keys set.
func devWith(t *testing.T, kv ...string) map[string]string {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg["nat-instance:"+kv[i]] = kv[i+1]
	}
	return cfg
}

// labNat is the first NAT as the Go program builds it under cfg, and the inputs a user of the
// package would give to build the same NAT in that VPC, read off the program's resources.
func labNat(t *testing.T, cfg map[string]string) (*mockgraph.Graph, property.Map) {
	t.Helper()
	g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{Stack: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	one := func(typ string) mockgraph.Resource {
		r, err := g.Named(typ, "nat-instance")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sg, eni, instance := one("aws:ec2/securityGroup:SecurityGroup"), one("aws:ec2/networkInterface:NetworkInterface"), one("aws:ec2/instance:Instance")
	vpcs := g.OfType("aws:ec2/vpc:Vpc")
	if len(vpcs) != 1 {
		t.Fatalf("%d VPCs", len(vpcs))
	}
	var ssh []property.Value
	for _, rule := range sg.Objects("ingress") {
		if rule["fromPort"] == 22.0 {
			for _, cidr := range mockgraph.AsStrings(rule["cidrBlocks"]) {
				ssh = append(ssh, property.New(cidr))
			}
		}
	}
	// A program hands over outputs of its resources: values that depend on those resources.
	var tables []property.Value
	var tableURNs []urn.URN
	for _, route := range g.OfType("aws:ec2/route:Route") {
		if strings.HasPrefix(route.Name, "nat-instance-route-") {
			tables = append(tables, property.New(route.String("routeTableId")))
			tableURNs = append(tableURNs, urn.URN(byID(t, g, route.String("routeTableId")).URN))
		}
	}
	attachments := g.OfType("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
	// The NAT's own instance profile (the private instances have another).
	var profiles []mockgraph.Resource
	for _, profile := range g.OfType("aws:iam/instanceProfile:InstanceProfile") {
		if profile.Name == instance.String("iamInstanceProfile") {
			profiles = append(profiles, profile)
		}
	}
	if len(tables) == 0 || len(attachments) != 1 || len(profiles) != 1 {
		t.Fatalf("dev stack: %d NAT routes, %d gateway attachments, %d instance profiles", len(tables), len(attachments), len(profiles))
	}
	inputs := map[string]property.Value{
		"vpcId":                output(sg.String("vpcId"), byID(t, g, sg.String("vpcId"))),
		"vpcCidr":              property.New(vpcs[0].String("cidrBlock")),
		"publicSubnetId":       output(eni.String("subnetId"), byID(t, g, eni.String("subnetId"))),
		"privateRouteTableIds": property.New(tables).WithDependencies(tableURNs),
		"privateIp":            property.New(eni.Strings("privateIps")[0]),
		"instanceType":         property.New(instance.String("instanceType")),
		"sshAllowedCidrs":      property.New(ssh),
		"instanceProfileName":  output(instance.String("iamInstanceProfile"), profiles[0]),
		// The association must wait for the attachment.
		"internetGatewayId": output(attachments[0].ID, attachments[0]),
		// The instance waits for the public subnet's way out.
		"publicRoutingIds": publicRouting(t, g),
		// No AMI: the component looks up the same one the program did.
	}
	if key := instance.String("keyName"); key != "" {
		inputs["keyName"] = property.New(key)
	}
	addAlarmTopic(g, inputs)
	return g, property.NewMap(inputs)
}

// addAlarmTopic gives the component the topic the program's alarms notify, if they notify one.
func addAlarmTopic(g *mockgraph.Graph, inputs map[string]property.Value) {
	for _, alarm := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		if topics := alarm.Strings("okActions"); len(topics) == 1 {
			inputs["alarmTopicArn"] = property.New(topics[0])
		}
	}
}

// publicRouting is the public subnet's default route and route table association, as outputs
// of those resources.
func publicRouting(t *testing.T, g *mockgraph.Graph) property.Value {
	t.Helper()
	var ids []property.Value
	var urns []urn.URN
	for _, r := range g.Resources {
		if r.Name == "nat-lab-public-default" || r.Name == "nat-lab-public-1" && r.Type == "aws:ec2/routeTableAssociation:RouteTableAssociation" {
			ids, urns = append(ids, property.New(r.ID)), append(urns, urn.URN(r.URN))
		}
	}
	if len(ids) != 2 {
		t.Fatalf("dev stack: %d public routing resources, want the default route and the association", len(ids))
	}
	return property.New(ids).WithDependencies(urns)
}

// output is value as an output of r.
func output(value string, r mockgraph.Resource) property.Value {
	return property.New(value).WithDependencies([]urn.URN{urn.URN(r.URN)})
}

func byID(t *testing.T, g *mockgraph.Graph, id string) mockgraph.Resource {
	t.Helper()
	r, ok := g.ByID(id)
	if !ok {
		t.Fatalf("%q is the id of no resource", id)
	}
	return r
}

func construct(t *testing.T, name string, inputs property.Map) (*mockgraph.Graph, error) {
	t.Helper()
	return constructRequest(t, p.ConstructRequest{Urn: natURN(name), Inputs: inputs})
}

func natURN(name string) resource.URN {
	return resource.NewURN("dev", mockgraph.Project, "", natToken, name)
}

func constructRequest(t *testing.T, req p.ConstructRequest) (*mockgraph.Graph, error) {
	t.Helper()
	rec := mockgraph.NewRecorder(mockgraph.Options{Stack: "dev"})
	_, err := server(t, rec).Construct(req)
	return rec.Graph(), err
}

// The package builds, in a VPC given by ids, exactly the resources the Go program builds for
// its own NAT: same types, names, inputs, dependencies and replacement options.
func TestConstructBuildsWhatTheProgramBuilds(t *testing.T) {
	for stack, cfg := range map[string]map[string]string{
		"dev": devWith(t),
		"dev with SSH, a key pair and an x86 NAT": devWith(t, "keyName", "admin-key",
			"sshAllowedCidrs", `["203.0.113.7/32","198.51.100.0/24"]`, "natInstanceType", "t3.micro"),
		"dev with an alarm topic": devWith(t, "alarmTopicArn", givenTopic),
	} {
		t.Run(stack, func(t *testing.T) { constructSameAsProgram(t, cfg) })
	}
}

func constructSameAsProgram(t *testing.T, cfg map[string]string) {
	program, inputs := labNat(t, cfg)
	constructed, err := construct(t, "nat-instance", inputs)
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	sameChildren(t, children(t, program, natToken, "nat-instance"), children(t, constructed, natToken, "nat-instance"), 6)
}

// sameChildren checks that a component's children as constructed are those the program
// registers, of which there are at least least.
func sameChildren(t *testing.T, want, got map[string]child, least int) {
	t.Helper()
	if len(want) < least {
		t.Fatalf("the program's component has only %d children: %v", len(want), want)
	}
	for key := range want {
		if _, ok := got[key]; !ok {
			t.Errorf("Construct did not register %s", key)
		}
	}
	for key, g := range got {
		if w, ok := want[key]; !ok {
			t.Errorf("Construct registered %s, which the program does not", key)
		} else if !reflect.DeepEqual(g, w) {
			gotJSON, _ := json.MarshalIndent(g, "", " ")
			wantJSON, _ := json.MarshalIndent(w, "", " ")
			t.Errorf("%s: Construct registered\n%s\nthe program registers\n%s", key, gotJSON, wantJSON)
		}
	}
}

// Bad inputs are reported together, each with its name, value and what is allowed, and nothing
// is built.
func TestConstructRejectsBadInputsBeforeAnyResource(t *testing.T) {
	_, good := labNat(t, devWith(t))
	for _, tc := range []struct {
		key   string
		value property.Value
		want  string
	}{
		{"vpcCidr", property.New("10.0.0.0/8"), `vpcCidr = "10.0.0.0/8": prefix length must be between /16 and /28`},
		{"vpcCidr", property.New("10.40.0.1/16"), `vpcCidr = "10.40.0.1/16": has host bits set`},
		{"privateIp", property.New("192.168.1.10"), `privateIp = "192.168.1.10": must lie inside vpcCidr 10.40.0.0/16`},
		{"privateIp", property.New("10.40.1"), `privateIp = "10.40.1": must be an IPv4 address`},
		{"instanceType", property.New("nano"), `instanceType = "nano": must be an EC2 instance type`},
		{"sshAllowedCidrs", property.New([]property.Value{property.New("0.0.0.0/0")}), `sshAllowedCidrs = "0.0.0.0/0": prefix length must be between /8 and /32`},
		{"keyName", property.New("bad\nname"), `keyName = "bad\nname": must be the name of an existing EC2 key pair`},
	} {
		inputs := good.Set(tc.key, tc.value)
		g, err := construct(t, "nat", inputs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v: error %v, want one containing %q", tc.key, tc.value, err, tc.want)
		}
		if len(g.Resources) != 0 {
			t.Errorf("%s = %v: %d resources registered, want none", tc.key, tc.value, len(g.Resources))
		}
	}
}

// A user's VPC from ids alone: AWS picks the address, there is no instance profile or gateway
// to wait for, and each private route table gets its own default route, named after the NAT.
func TestConstructInAVpcGivenByIDsOnly(t *testing.T) {
	g, err := construct(t, "egress", property.NewMap(map[string]property.Value{
		"vpcId":                property.New("vpc-1"),
		"vpcCidr":              property.New("10.0.0.0/16"),
		"publicSubnetId":       property.New("subnet-public-a"),
		"privateRouteTableIds": property.New([]property.Value{property.New("rtb-a"), property.New("rtb-b")}),
	}))
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	checkRoutes(t, g, map[string]string{
		"egress-route-1": "rtb-a 0.0.0.0/0 -> NetworkInterface-egress",
		"egress-route-2": "rtb-b 0.0.0.0/0 -> NetworkInterface-egress",
	})
	instance, err := g.Named("aws:ec2/instance:Instance", "egress")
	if err != nil {
		t.Fatal(err)
	}
	if instance.String("instanceType") != DefaultInstanceType || instance.String("ami") != "ami-arm64" || instance.String("iamInstanceProfile") != "" {
		t.Errorf("instance %s %s profile %q, want the default type, its Amazon Linux AMI, no profile",
			instance.String("instanceType"), instance.String("ami"), instance.String("iamInstanceProfile"))
	}
	if eni, err := g.Named("aws:ec2/networkInterface:NetworkInterface", "egress"); err != nil || eni.Inputs["privateIps"] != nil {
		t.Errorf("network interface %v (%v): want one without a fixed address", eni.Inputs, err)
	}
}

// In a preview before the route tables exist their ids are unknown: the NAT is still previewed,
// its routes are not (the update creates them).
func TestConstructWithUnknownRouteTables(t *testing.T) {
	g, err := constructRequest(t, p.ConstructRequest{Urn: natURN("egress"), DryRun: true, Inputs: property.NewMap(map[string]property.Value{
		"vpcId":          property.New(property.Computed),
		"vpcCidr":        property.New("10.0.0.0/16"),
		"publicSubnetId": property.New(property.Computed),
		// Unknown values from resources not created yet, as the engine sends them.
		"privateRouteTableIds": property.New(property.Computed).WithDependencies([]urn.URN{"urn:pulumi:dev::nat-instance::awsx:ec2:Vpc::vpc"}),
	})})
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	if len(g.OfType("aws:ec2/instance:Instance")) != 1 || len(g.OfType("aws:ec2/route:Route")) != 0 {
		t.Errorf("%d instances, %d routes; want the NAT and no route yet",
			len(g.OfType("aws:ec2/instance:Instance")), len(g.OfType("aws:ec2/route:Route")))
	}
}

// checkRoutes checks the default routes registered: by name, table, destination and target.
func checkRoutes(t *testing.T, g *mockgraph.Graph, want map[string]string) {
	t.Helper()
	routes := map[string]string{}
	for _, r := range g.OfType("aws:ec2/route:Route") {
		routes[r.Name] = r.String("routeTableId") + " " + r.String("destinationCidrBlock") + " -> " + r.String("networkInterfaceId")
	}
	if !reflect.DeepEqual(routes, want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
}
