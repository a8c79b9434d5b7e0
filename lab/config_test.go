package lab

import (
	"strings"
	"testing"

	"nat-instance/mockgraph"
)

// expectConfigError runs the program with a bad config: it must fail before registering a
// single resource, with one message that holds every fragment of want.
func expectConfigError(t *testing.T, cfg map[string]string, want ...string) {
	t.Helper()
	expectFailure(t, cfg, mockgraph.Options{}, want...)
}

// Each bad config must fail before a single resource exists, with a message that names the key,
// the value and what is allowed.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string // fragments of the one message
	}{
		{"unparsable VPC", []string{"vpcCidr", "10.40.0.0/33"}, []string{`nat-instance:vpcCidr = "10.40.0.0/33"`, "IPv4 CIDR"}},
		{"VPC too large", []string{"vpcCidr", "10.0.0.0/8"}, []string{`vpcCidr = "10.0.0.0/8"`, "between /16 and /28"}},
		{"VPC host bits", []string{"vpcCidr", "10.40.1.0/16"}, []string{`vpcCidr = "10.40.1.0/16"`, "10.40.0.0/16"}},
		{"subnet outside VPC", []string{"privateSubnetCidr", "10.41.2.0/24"}, []string{`privateSubnetCidr = "10.41.2.0/24"`, "inside vpcCidr 10.40.0.0/16"}},
		{"explicit subnets overlap", []string{"publicSubnetCidr", "10.40.0.0/20", "privateSubnetCidr", "10.40.8.0/24"}, []string{`privateSubnetCidr = "10.40.8.0/24"`, "must not overlap publicSubnetCidr 10.40.0.0/20"}},
		{"overlapping subnets", []string{"privateSubnetCidr", "10.40.1.128/25"}, []string{`privateSubnetCidr = "10.40.1.128/25"`, "must not overlap the public subnet carved for zone 1, 10.40.1.0/24"}},
		{"NAT IP outside its subnet", []string{"natPrivateIp", "10.40.2.100"}, []string{`natPrivateIp = "10.40.2.100"`, "inside the public subnet 10.40.1.0/24"}},
		{"NAT IP reserved", []string{"natPrivateIp", "10.40.1.3"}, []string{`natPrivateIp = "10.40.1.3"`, "reserved by AWS", "10.40.1.4 to 10.40.1.254"}},
		{"network address", []string{"privateInstanceIps", `["10.40.2.0"]`}, []string{`privateInstanceIps = "10.40.2.0"`, "reserved"}},
		{"broadcast address", []string{"privateInstanceIps", `["10.40.2.255"]`}, []string{`privateInstanceIps = "10.40.2.255"`, "reserved"}},
		{"unparsable IP", []string{"privateInstanceIps", `["10.40.2.x"]`}, []string{`privateInstanceIps = "10.40.2.x"`, "IPv4 address"}},
		{"duplicate IP", []string{"privateInstanceIps", `["10.40.2.101","10.40.2.101"]`}, []string{`privateInstanceIps = "10.40.2.101"`, "already used"}},
		{"not a list", []string{"privateInstanceIps", "10.40.2.101"}, []string{`privateInstanceIps = "10.40.2.101"`, "list of strings"}},
		{"SSH from the world", []string{"sshAllowedCidrs", `["0.0.0.0/0"]`}, []string{`sshAllowedCidrs = "0.0.0.0/0"`, "between /8 and /32"}},
		{"SSH from half the internet", []string{"sshAllowedCidrs", `["0.0.0.0/1","128.0.0.0/1"]`}, []string{`sshAllowedCidrs = "0.0.0.0/1"`, `sshAllowedCidrs = "128.0.0.0/1"`, "between /8 and /32"}},
		{"VPC in a range AWS refuses", []string{"vpcCidr", "224.0.0.0/16"}, []string{`vpcCidr = "224.0.0.0/16"`, "224.0.0.0/4"}},
		{"given subnet overlaps a carved one", []string{"publicSubnetCidr", "10.40.2.0/24"}, []string{`publicSubnetCidr = "10.40.2.0/24": must not overlap the private subnet carved for zone 1, 10.40.2.0/24`}},
		{"SSH from the lab's typo", []string{"sshAllowedCidrs", `["10.40.0.0/0"]`}, []string{`sshAllowedCidrs = "10.40.0.0/0"`, "between /8 and /32"}},
		{"instance type", []string{"natInstanceType", "t4g nano"}, []string{`natInstanceType = "t4g nano"`, "instance type"}},
		{"zone not in region", []string{"availabilityZone", "us-east-1a"}, []string{`availabilityZone = "us-east-1a"`, "ap-northeast-2a"}},
		{"boundary not a policy ARN", []string{"iamPermissionsBoundary", "nat-instance-boundary"}, []string{`iamPermissionsBoundary = "nat-instance-boundary"`, "ARN of an IAM managed policy"}},
		{"boundary a role ARN", []string{"iamPermissionsBoundary", "arn:aws:iam::123456789012:role/admin"}, []string{`iamPermissionsBoundary = "arn:aws:iam::123456789012:role/admin"`, "ARN of an IAM managed policy"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectConfigError(t, config(tc.kv...), tc.want...) })
	}
}

func TestAllConfigMistakesAreReportedAtOnce(t *testing.T) {
	expectConfigError(t, config(
		"vpcCidr", "10.40.0.0/16",
		"publicSubnetCidr", "10.50.1.0/24",
		"natPrivateIp", "nope",
		"privateInstanceIps", `["10.40.2.1","10.40.9.9"]`,
		"sshAllowedCidrs", `["0.0.0.0/0"]`,
	), `publicSubnetCidr = "10.50.1.0/24"`, `natPrivateIp = "nope"`, `privateInstanceIps = "10.40.2.1"`,
		`privateInstanceIps = "10.40.9.9"`, `sshAllowedCidrs = "0.0.0.0/0"`, "(5 problem(s))")
}

func TestZoneIsOneThatOffersTheInstanceTypes(t *testing.T) {
	g, err := mockgraph.Run(Program, config(), mockgraph.Options{
		NotOffered: map[string][]string{"ap-northeast-2a": {"t4g.nano"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range g.OfType(tSubnet) {
		if s.String("availabilityZone") != "ap-northeast-2b" {
			t.Errorf("subnet %s in %s, want ap-northeast-2b (2a lacks t4g.nano)", s.Name, s.String("availabilityZone"))
		}
	}

	g, err = mockgraph.Run(Program, config("availabilityZone", "ap-northeast-2a"), mockgraph.Options{
		NotOffered: map[string][]string{"ap-northeast-2a": {"t4g.nano"}},
	})
	if err == nil || !strings.Contains(err.Error(), `availabilityZone = "ap-northeast-2a": does not offer t4g.nano`) {
		t.Errorf("error = %v, want the zone named with what it lacks", err)
	}
	if len(g.Resources) != 0 {
		t.Errorf("%d resources registered before the error", len(g.Resources))
	}
}
