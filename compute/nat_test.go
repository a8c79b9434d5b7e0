package compute

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/mockgraph"
)

// recordNat builds one NAT instance, alone, in a VPC given by ids (as a user's own VPC would be).
func recordNat(t *testing.T, args *NatInstanceArgs) *mockgraph.Graph {
	t.Helper()
	g, err := mockgraph.Run(func(ctx *pulumi.Context) error {
		_, err := NewNatInstance(ctx, "nat", args)
		return err
	}, nil, mockgraph.Options{})
	if err != nil {
		t.Fatalf("NewNatInstance: %v", err)
	}
	return g
}

func existingVpc(instanceType string) *NatInstanceArgs {
	return &NatInstanceArgs{
		InstanceSettings: InstanceSettings{InstanceType: instanceType},
		VpcID:            pulumi.String("vpc-0123"),
		VpcCidr:          "10.0.0.0/16",
		SubnetID:         pulumi.String("subnet-0123"),
		PrivateRoutes:    []PrivateRoute{{Name: "nat-route-1", RouteTableID: pulumi.String("rtb-0123")}},
	}
}

// Without an AMI, the NAT runs the current Amazon Linux 2023 for its instance type's CPU.
func TestNatWithoutAmiLooksUpAmazonLinuxForItsArchitecture(t *testing.T) {
	for instanceType, arch := range map[string]string{"t4g.nano": "arm64", "t3.micro": "x86_64"} {
		g := recordNat(t, existingVpc(instanceType))
		var asked []string
		for _, inv := range g.Invokes {
			if inv.Token == "aws:ssm/getParameter:getParameter" {
				asked = append(asked, inv.Args["name"].(string))
			}
		}
		if want := []string{AmazonLinuxParameter(arch)}; !slices.Equal(asked, want) {
			t.Errorf("%s: SSM parameters asked %q, want %q", instanceType, asked, want)
		}
		instance, err := g.Named("aws:ec2/instance:Instance", "nat")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := instance.String("ami"), "ami-"+arch; got != want {
			t.Errorf("%s: instance AMI %q, want %q (the looked-up one)", instanceType, got, want)
		}
	}
}

// A given AMI is used as it is, with no look-up.
func TestNatWithAmiAsksNothing(t *testing.T) {
	args := existingVpc("t4g.nano")
	args.AmiID = pulumi.String("ami-mine")
	g := recordNat(t, args)
	if len(g.Invokes) != 0 {
		t.Errorf("invokes %v, want none", g.Invokes)
	}
	instance, err := g.Named("aws:ec2/instance:Instance", "nat")
	if err != nil {
		t.Fatal(err)
	}
	if got := instance.String("ami"); got != "ami-mine" {
		t.Errorf("instance AMI %q, want ami-mine", got)
	}
}

// Without an address the interface asks AWS for one; without a gateway to wait for, the Elastic
// IP association depends on nothing but its inputs.
func TestNatOptionalAddressAndGateway(t *testing.T) {
	g := recordNat(t, existingVpc("t4g.nano"))
	eni, err := g.Named("aws:ec2/networkInterface:NetworkInterface", "nat")
	if err != nil {
		t.Fatal(err)
	}
	if ips, set := eni.Inputs["privateIps"]; set {
		t.Errorf("interface privateIps = %v, want none (AWS picks)", ips)
	}
	association, err := g.Named("aws:ec2/eipAssociation:EipAssociation", "nat")
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range association.DependsOn {
		if r, ok := g.ByURN(dep); !ok || (r.Type != "aws:ec2/eip:Eip" && r.Type != "aws:ec2/networkInterface:NetworkInterface") {
			t.Errorf("association depends on %s, want only its Elastic IP and interface", dep)
		}
	}

	args := existingVpc("t4g.nano")
	args.PrivateIP = "10.0.1.100"
	eni, err = recordNat(t, args).Named("aws:ec2/networkInterface:NetworkInterface", "nat")
	if err != nil {
		t.Fatal(err)
	}
	if got := eni.Strings("privateIps"); !slices.Equal(got, []string{"10.0.1.100"}) {
		t.Errorf("interface privateIps = %q, want [10.0.1.100]", got)
	}
}
