package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// The prod stack runs a NAT pair per zone; its first pair is the one compared.
const (
	prodPair   = "nat-instance"
	prodRegion = "ap-northeast-2" // Pulumi.prod.yaml's, and the recorder's default region
	mockAcct   = "123456789012"   // mockgraph's account
)

// labPair is the prod stack's first NAT pair as the Go program builds it, and the inputs a user
// of the package would give to build the same pair in that VPC, read off the program's resources.
func labPair(t *testing.T, kv ...string) (*mockgraph.Graph, property.Map) {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg["nat-instance:"+kv[i]] = kv[i+1]
	}
	g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{Stack: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	one := func(typ, name string) mockgraph.Resource {
		r, err := g.Named(typ, name)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sg := one("aws:ec2/securityGroup:SecurityGroup", prodPair)
	enis := []mockgraph.Resource{one("aws:ec2/networkInterface:NetworkInterface", prodPair+"-a"), one("aws:ec2/networkInterface:NetworkInterface", prodPair+"-b")}
	instance := one("aws:ec2/instance:Instance", prodPair+"-a")
	subnet := byID(t, g, enis[0].String("subnetId"))
	vpcs := g.OfType("aws:ec2/vpc:Vpc")
	floating := mockgraph.AsStrings(g.Outputs["natPrivateIps"])
	attachments := g.OfType("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
	if len(vpcs) != 1 || len(floating) == 0 || len(attachments) != 1 {
		t.Fatalf("prod stack: %d VPCs, NAT addresses %v, %d gateway attachments", len(vpcs), floating, len(attachments))
	}
	var tables []property.Value
	var tableURNs []urn.URN
	for _, route := range g.OfType("aws:ec2/route:Route") {
		if route.Parent != "" && urn.URN(route.Parent).Name() == prodPair {
			tables = append(tables, property.New(route.String("routeTableId")))
			tableURNs = append(tableURNs, urn.URN(byID(t, g, route.String("routeTableId")).URN))
		}
	}
	if len(tables) == 0 {
		t.Fatal("prod stack: the first pair serves no route table")
	}
	inputs := map[string]property.Value{
		"vpcId":                output(sg.String("vpcId"), byID(t, g, sg.String("vpcId"))),
		"vpcCidr":              property.New(vpcs[0].String("cidrBlock")),
		"publicSubnetId":       output(subnet.ID, subnet),
		"publicSubnetCidr":     property.New(subnet.String("cidrBlock")),
		"privateRouteTableIds": property.New(tables).WithDependencies(tableURNs),
		"privateIp":            property.New(floating[0]),
		"memberIps":            property.New([]property.Value{property.New(enis[0].Strings("privateIps")[0]), property.New(enis[1].Strings("privateIps")[0])}),
		"instanceType":         property.New(instance.String("instanceType")),
		"sshAllowedCidrs":      property.New([]property.Value{}),
		"internetGatewayId":    output(attachments[0].ID, attachments[0]),
		"publicRoutingIds":     publicRouting(t, g),
		// No AMI: the component looks up the same one the program did. No virtualRouterId: the
		// default is the first pair's.
	}
	if key := instance.String("keyName"); key != "" {
		inputs["keyName"] = property.New(key)
	}
	addAlarmTopic(g, inputs)
	return g, property.NewMap(inputs)
}

func constructPair(t *testing.T, name string, inputs property.Map) (*mockgraph.Graph, error) {
	t.Helper()
	return constructRequest(t, p.ConstructRequest{Urn: resource.NewURN("dev", mockgraph.Project, "", pairToken, name), Inputs: inputs})
}

// The package builds, in a VPC given by ids, exactly the resources the Go program builds for
// its first NAT pair: same types, names, inputs, dependencies and options. The one difference
// allowed is the role's route table ARNs: the package builds them from the ids as AWS names
// route tables, where the program has its tables' (mock) ARNs.
func TestConstructPairBuildsWhatTheProgramBuilds(t *testing.T) {
	for name, kv := range map[string][]string{"prod": nil, "prod with an alarm topic": {"alarmTopicArn", givenTopic}} {
		t.Run(name, func(t *testing.T) { constructPairSameAsProgram(t, kv...) })
	}
}

func constructPairSameAsProgram(t *testing.T, kv ...string) {
	program, inputs := labPair(t, kv...)
	constructed, err := constructPair(t, prodPair, inputs)
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	want := children(t, program, pairToken, prodPair)
	policy := "aws:iam/rolePolicy:RolePolicy::" + prodPair + "-pair"
	document := want[policy].Inputs["policy"].(string)
	for _, id := range inputs.Get("privateRouteTableIds").AsArray().All {
		table := byID(t, program, id.AsString())
		mockArn, _ := table.State["arn"].(string)
		if !strings.Contains(document, mockArn) {
			t.Fatalf("the program's pair policy does not name its route table %s (%s):\n%s", id.AsString(), mockArn, document)
		}
		document = strings.ReplaceAll(document, mockArn, "arn:aws:ec2:"+prodRegion+":"+mockAcct+":route-table/"+id.AsString())
	}
	want[policy].Inputs["policy"] = document
	sameChildren(t, want, children(t, constructed, pairToken, prodPair), 20)
}

// Bad inputs are reported together, each with its name, value and what is allowed, and nothing
// is built.
func TestConstructPairRejectsBadInputsBeforeAnyResource(t *testing.T) {
	_, good := labPair(t)
	addresses := func(ips ...string) property.Value {
		var values []property.Value
		for _, ip := range ips {
			values = append(values, property.New(ip))
		}
		return property.New(values)
	}
	for _, tc := range []struct {
		key   string
		value property.Value
		want  string
	}{
		{"vpcCidr", property.New("10.0.0.0/8"), `vpcCidr = "10.0.0.0/8": prefix length must be between /16 and /28`},
		{"publicSubnetCidr", property.New("10.61.0.0/24"), `publicSubnetCidr = "10.61.0.0/24": must lie inside vpcCidr 10.60.0.0/16`},
		{"publicSubnetCidr", property.New("10.60.0.0/12"), `publicSubnetCidr = "10.60.0.0/12": prefix length must be between /16 and /28`},
		{"privateIp", property.New("10.60.1.100"), `privateIp = "10.60.1.100": must lie inside publicSubnetCidr 10.60.0.0/24`},
		{"privateIp", property.New("10.60.0.2"), `privateIp = "10.60.0.2": is reserved by AWS in 10.60.0.0/24; use 10.60.0.4 to 10.60.0.254`},
		{"privateIp", property.New("10.60.0"), `privateIp = "10.60.0": must be an IPv4 address`},
		{"memberIps", addresses("10.60.0.101"), `memberIps = "[10.60.0.101]": must give two addresses`},
		{"memberIps", addresses("10.60.0.101", "10.60.0.101"), `memberIps = "10.60.0.101": is already used by memberIps`},
		{"memberIps", addresses("10.60.0.100", "10.60.0.102"), `memberIps = "10.60.0.100": is already used by privateIp`},
		{"memberIps", addresses("10.60.0.101", "10.60.0.255"), `memberIps = "10.60.0.255": is reserved by AWS`},
		{"instanceType", property.New("nano"), `instanceType = "nano": must be an EC2 instance type`},
		{"sshAllowedCidrs", addresses("0.0.0.0/0"), `sshAllowedCidrs = "0.0.0.0/0": prefix length must be between /8 and /32`},
		{"keyName", property.New("bad\nname"), `keyName = "bad\nname": must be the name of an existing EC2 key pair`},
		{"virtualRouterId", property.New(256.0), `virtualRouterId = "256": must be a VRRP router id, 1 to 255`},
		{"rollMember", property.New("c"), `rollMember = "c": must be a or b`},
	} {
		g, err := constructPair(t, "pair", good.Set(tc.key, tc.value))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v: error %v, want one containing %q", tc.key, tc.value, err, tc.want)
		}
		if len(g.Resources) != 0 {
			t.Errorf("%s = %v: %d resources registered, want none", tc.key, tc.value, len(g.Resources))
		}
	}
}

// rollMember replaces the member it names and only that one: the other keeps its instance type,
// key pair and boot script. An AMI given is pinned: a change of it replaces the rolling member.
func TestConstructPairRollsOneMember(t *testing.T) {
	_, good := labPair(t)
	g, err := constructPair(t, "pair", good.Set("rollMember", property.New("b")).Set("ami", property.New("ami-pinned")))
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	for member, want := range map[string]string{
		"pair-a": "secondaryPrivateIps ami instanceType keyName userDataBase64",
		"pair-b": "secondaryPrivateIps", // the floating address, which every member always ignores
	} {
		instance, err := g.Named("aws:ec2/instance:Instance", member)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(instance.IgnoreChanges, " "); got != want || instance.String("ami") != "ami-pinned" {
			t.Errorf("%s: ami %s, ignores changes of %q; want ami-pinned and %q", member, instance.String("ami"), got, want)
		}
	}
}

// In a preview before the route tables exist their ids are unknown: the pair is still
// previewed, its routes are not (the update creates them, and the role's ARNs with them).
func TestConstructPairWithUnknownRouteTables(t *testing.T) {
	g, err := constructRequest(t, p.ConstructRequest{Urn: resource.NewURN("dev", mockgraph.Project, "", pairToken, "egress"), DryRun: true, Inputs: property.NewMap(map[string]property.Value{
		"vpcId":            property.New(property.Computed),
		"vpcCidr":          property.New("10.0.0.0/16"),
		"publicSubnetId":   property.New(property.Computed),
		"publicSubnetCidr": property.New("10.0.1.0/24"),
		"privateIp":        property.New("10.0.1.100"),
		"memberIps":        property.New([]property.Value{property.New("10.0.1.101"), property.New("10.0.1.102")}),
		// Unknown values from resources not created yet, as the engine sends them.
		"privateRouteTableIds": property.New(property.Computed).WithDependencies([]urn.URN{"urn:pulumi:dev::nat-instance::awsx:ec2:Vpc::vpc"}),
	})})
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	if len(g.OfType("aws:ec2/instance:Instance")) != 2 || len(g.OfType("aws:ec2/route:Route")) != 0 {
		t.Errorf("%d instances, %d routes; want both members and no route yet",
			len(g.OfType("aws:ec2/instance:Instance")), len(g.OfType("aws:ec2/route:Route")))
	}
}

// A user's VPC from ids alone: each private route table gets its own default route to member
// a, named after the pair, and the role may replace routes in exactly those tables, named by
// ARNs built from the ids in the stack's partition, region and account.
func TestConstructPairInAVpcGivenByIDsOnly(t *testing.T) {
	g, err := constructPair(t, "egress", property.NewMap(map[string]property.Value{
		"vpcId":                property.New("vpc-1"),
		"vpcCidr":              property.New("10.0.0.0/16"),
		"publicSubnetId":       property.New("subnet-public-a"),
		"publicSubnetCidr":     property.New("10.0.1.0/24"),
		"privateIp":            property.New("10.0.1.100"),
		"memberIps":            property.New([]property.Value{property.New("10.0.1.101"), property.New("10.0.1.102")}),
		"privateRouteTableIds": property.New([]property.Value{property.New("rtb-a"), property.New("rtb-b")}),
	}))
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	checkRoutes(t, g, map[string]string{
		"egress-route-1": "rtb-a 0.0.0.0/0 -> NetworkInterface-egress-a",
		"egress-route-2": "rtb-b 0.0.0.0/0 -> NetworkInterface-egress-a",
	})
	policy, err := g.Named("aws:iam/rolePolicy:RolePolicy", "egress-pair")
	if err != nil {
		t.Fatal(err)
	}
	var document struct {
		Statement []struct {
			Sid      string
			Action   any // a name or a list
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(policy.String("policy")), &document); err != nil {
		t.Fatal(err)
	}
	tables := map[string][]string{}
	for _, statement := range document.Statement {
		if resources, ok := statement.Resource.([]any); ok {
			for _, r := range resources {
				tables[fmt.Sprint(statement.Action)] = append(tables[fmt.Sprint(statement.Action)], fmt.Sprint(r))
			}
		}
	}
	wantTables := []string{"arn:aws:ec2:" + prodRegion + ":" + mockAcct + ":route-table/rtb-a", "arn:aws:ec2:" + prodRegion + ":" + mockAcct + ":route-table/rtb-b"}
	if !reflect.DeepEqual(tables["ec2:ReplaceRoute"], wantTables) {
		t.Errorf("ec2:ReplaceRoute on %v, want %v", tables["ec2:ReplaceRoute"], wantTables)
	}
}
