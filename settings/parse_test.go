package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// edit returns the defaults changed by f: the raw configuration of a stack that sets some keys.
func edit(f func(r *Raw)) Raw {
	r := Defaults
	f(&r)
	return r
}

// problemsOf returns the problems err carries, failing the test when it is not config problems.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("error %v, want config problems", err)
	}
	return p
}

// sameProblems tells whether got are want, in order, each with want's key and value and a Want
// that holds want's fragment of what is allowed.
func sameProblems(got, want Problems) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Key != want[i].Key || got[i].Value != want[i].Value || !strings.Contains(got[i].Want, want[i].Want) {
			return false
		}
	}
	return true
}

func TestParseDefaultsGiveTheLabLayout(t *testing.T) {
	s, err := Parse(Defaults)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr
	want := Settings{
		VpcCidr: netip.MustParsePrefix("10.40.0.0/16"),
		Zones: []Zone{{PublicSubnet: netip.MustParsePrefix("10.40.1.0/24"), PrivateSubnet: netip.MustParsePrefix("10.40.2.0/24"),
			NatPrivateIP: addr("10.40.1.100")}},
		ZonesKey:            KeyAvailabilityZones,
		NatStrategy:         PerZone,
		PrivateInstances:    []PrivateInstance{{IP: addr("10.40.2.101")}, {IP: addr("10.40.2.102")}},
		NatInstanceType:     "t4g.nano",
		PrivateInstanceType: "t4g.nano",
		Dashboard:           true,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Parse(Defaults) =\n%+v\nwant the lab's layout\n%+v", s, want)
	}
}

// all prints values apart, as Println does.
func all(values ...any) string { return strings.TrimSuffix(fmt.Sprintln(values...), "\n") }

// goodValues are values of each key that Parse accepts, with what they give. A case sets
// other keys too when its key needs them (a second zone, NAT pairs).
var goodValues = []struct {
	key  string
	edit func(r *Raw)
	got  func(s Settings) any
	want string // got, printed
}{
	{KeyVpcCidr, func(r *Raw) { r.VpcCidr, r.PrivateInstanceIPs = "10.50.0.0/20", []string{"10.50.0.36"} },
		// A /20 splits into /28s; 100 is past a /28's end, so the NAT takes its first usable address.
		func(s Settings) any { return s.Zones }, "[{ 10.50.0.16/28 10.50.0.32/28 10.50.0.20 [invalid IP invalid IP]}]"},
	{KeyZoneCount, func(r *Raw) { r.ZoneCount = 3 },
		func(s Settings) any {
			return all(s.Zones[1].PublicSubnet, s.Zones[2].PrivateSubnet, s.NatZones(), s.Zones[2].NatPrivateIP)
		},
		"10.40.3.0/24 10.40.6.0/24 [0 1 2] 10.40.5.100"},
	{KeyNatStrategy, func(r *Raw) { r.ZoneCount, r.NatStrategy = 2, Single },
		func(s Settings) any { return all(s.NatStrategy, s.NatZones(), s.Zones[0].NatPrivateIP) }, "single [0] 10.40.1.100"},
	{KeyAvailabilityZone, func(r *Raw) { r.AvailabilityZone = "ap-northeast-2c" },
		func(s Settings) any { return all(s.Zones[0].AvailabilityZone, s.ZonesKey) }, "ap-northeast-2c availabilityZone"},
	{KeyAvailabilityZones, func(r *Raw) { r.ZoneCount, r.AvailabilityZones = 2, []string{"ap-northeast-2c", "ap-northeast-2a"} },
		func(s Settings) any { return all(s.Zones[0].AvailabilityZone, s.Zones[1].AvailabilityZone, s.ZonesKey) },
		"ap-northeast-2c ap-northeast-2a availabilityZones"},
	{KeyPublicSubnetCidr, func(r *Raw) { r.PublicSubnetCidr = "10.40.16.0/20" },
		func(s Settings) any { return all(s.Zones[0].PublicSubnet, s.Zones[0].NatPrivateIP) }, "10.40.16.0/20 10.40.16.100"},
	{KeyPublicSubnetCidrs, func(r *Raw) { r.ZoneCount, r.PublicSubnetCidrs = 2, []string{"10.40.100.0/24", "10.40.101.0/24"} },
		func(s Settings) any {
			return all(s.Zones[0].PublicSubnet, s.Zones[1].PublicSubnet, s.Zones[1].PrivateSubnet)
		},
		"10.40.100.0/24 10.40.101.0/24 10.40.4.0/24"},
	{KeyPrivateSubnetCidr, func(r *Raw) { r.PrivateSubnetCidr, r.PrivateInstanceIPs = "10.40.32.0/19", []string{"10.40.40.4"} },
		func(s Settings) any { return all(s.Zones[0].PrivateSubnet, s.PrivateInstances) }, "10.40.32.0/19 [{10.40.40.4 0}]"},
	{KeyPrivateSubnetCidrs, func(r *Raw) {
		r.ZoneCount, r.PrivateSubnetCidrs, r.PrivateInstanceIPs = 2, []string{"10.40.200.0/24", "10.40.201.0/24"}, []string{"10.40.201.9"}
	}, func(s Settings) any { return all(s.Zones[1].PrivateSubnet, s.PrivateInstances) }, "10.40.201.0/24 [{10.40.201.9 1}]"},
	{KeyNatPrivateIP, func(r *Raw) { r.NatPrivateIP = "10.40.1.10" },
		func(s Settings) any { return s.Zones[0].NatPrivateIP }, "10.40.1.10"},
	{KeyNatPrivateIPs, func(r *Raw) { r.ZoneCount, r.NatPrivateIPs = 2, []string{"10.40.1.4", "10.40.3.254"} },
		func(s Settings) any { return all(s.Zones[0].NatPrivateIP, s.Zones[1].NatPrivateIP) }, "10.40.1.4 10.40.3.254"},
	{KeyNatHighAvailability, func(r *Raw) { r.NatHighAvailability = true },
		func(s Settings) any { return all(s.NatHighAvailability, s.Zones[0].NatMemberIPs) }, "true [10.40.1.101 10.40.1.102]"},
	{KeyNatMemberIPs, func(r *Raw) { r.NatHighAvailability, r.NatMemberIPs = true, []string{"10.40.1.50", "10.40.1.49"} },
		func(s Settings) any { return s.Zones[0].NatMemberIPs }, "[10.40.1.50 10.40.1.49]"},
	{KeyPrivateInstanceIPs, func(r *Raw) { r.PrivateInstanceIPs = []string{"10.40.2.4", "10.40.2.254"} },
		func(s Settings) any { return s.PrivateInstances }, "[{10.40.2.4 0} {10.40.2.254 0}]"},
	{KeyPrivateInstanceIPs, func(r *Raw) { r.PrivateInstanceIPs = nil },
		func(s Settings) any { return len(s.PrivateInstances) }, "0"},
	{KeyNatInstanceType, func(r *Raw) { r.NatInstanceType = "c7gn.large" },
		func(s Settings) any { return s.NatInstanceType }, "c7gn.large"},
	{KeyPrivateInstanceType, func(r *Raw) { r.PrivateInstanceType = "m7i-flex.large" },
		func(s Settings) any { return s.PrivateInstanceType }, "m7i-flex.large"},
	{KeyNatAmiID, func(r *Raw) { r.NatAmiID = "ami-0123456789abcdef0" },
		func(s Settings) any { return s.NatAmiID }, "ami-0123456789abcdef0"},
	{KeyPrivateAmiID, func(r *Raw) { r.PrivateAmiID = "ami-01234567" },
		func(s Settings) any { return s.PrivateAmiID }, "ami-01234567"},
	{KeyNatPairRoll, func(r *Raw) {
		r.ZoneCount, r.NatHighAvailability, r.NatPairRoll = 2, true, []string{"nat-instance-b", "nat-instance-2-a"}
	}, func(s Settings) any { return s.NatPairRoll }, "[nat-instance-b nat-instance-2-a]"},
	{KeyKeyName, func(r *Raw) { r.KeyName = "lab key (2025)" },
		func(s Settings) any { return s.KeyName }, "lab key (2025)"},
	{KeySSHAllowedCidrs, func(r *Raw) { r.SSHAllowedCidrs = []string{"203.0.113.0/24", "198.51.100.7/32", "10.0.0.0/8"} },
		func(s Settings) any { return s.SSHAllowedCidrs }, "[203.0.113.0/24 198.51.100.7/32 10.0.0.0/8]"},
	{KeyAlarmEmail, func(r *Raw) { r.AlarmEmail = "ops@example.com" },
		func(s Settings) any { return s.AlarmEmail }, "ops@example.com"},
	{KeyAlarmTopicArn, func(r *Raw) { r.AlarmTopicArn = "arn:aws:sns:ap-northeast-2:123456789012:alarms" },
		func(s Settings) any { return s.AlarmTopicArn }, "arn:aws:sns:ap-northeast-2:123456789012:alarms"},
	{KeyAlarmTopicKmsKeyID, func(r *Raw) { r.AlarmEmail, r.AlarmTopicKmsKeyID = "ops@example.com", "alias/alarms" },
		func(s Settings) any { return all(s.AlarmEmail, s.AlarmTopicKmsKeyID) }, "ops@example.com alias/alarms"},
	{KeyDashboard, func(r *Raw) { r.Dashboard = false },
		func(s Settings) any { return s.Dashboard }, "false"},
	{KeyIamPermissionsBoundary, func(r *Raw) { r.IamPermissionsBoundary = "arn:aws:iam::123456789012:policy/nat-instance-boundary" },
		func(s Settings) any { return s.IamPermissionsBoundary }, "arn:aws:iam::123456789012:policy/nat-instance-boundary"},
}

func TestParseAcceptsGoodValues(t *testing.T) {
	for _, tc := range goodValues {
		s, err := Parse(edit(tc.edit))
		if err != nil {
			t.Errorf("%s: %v", tc.key, err)
			continue
		}
		if got := fmt.Sprint(tc.got(s)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.key, got, tc.want)
		}
	}
}

// badValues are mistakes Parse must report, each with exactly the problems listed: the key,
// the value, and a fragment of what is allowed.
var badValues = []struct {
	name string
	edit func(r *Raw)
	want Problems
}{
	{"VPC not a CIDR", func(r *Raw) { r.VpcCidr = "10.40.0.0/33" }, Problems{{KeyVpcCidr, "10.40.0.0/33", "must be an IPv4 CIDR such as 10.40.0.0/16"}}},
	{"VPC too large", func(r *Raw) { r.VpcCidr = "10.0.0.0/8" }, Problems{{KeyVpcCidr, "10.0.0.0/8", "between /16 and /28"}}},
	{"VPC host bits", func(r *Raw) { r.VpcCidr = "10.40.1.0/16" }, Problems{{KeyVpcCidr, "10.40.1.0/16", "did you mean 10.40.0.0/16?"}}},
	{"VPC in a range AWS refuses", func(r *Raw) { r.VpcCidr = "127.0.0.0/16" }, Problems{{KeyVpcCidr, "127.0.0.0/16", "lies in 127.0.0.0/8"}}},
	{"VPC too small to carve", func(r *Raw) { r.VpcCidr = "10.40.0.0/28" },
		Problems{{KeyVpcCidr, "10.40.0.0/28", "too small to carve subnets for 1 zone(s) from; give publicSubnetCidrs and privateSubnetCidrs"}}},
	{"no zones", func(r *Raw) { r.ZoneCount = 0 }, Problems{{KeyZoneCount, "0", "must be between 1 and 6"}}},
	{"more zones than a region has", func(r *Raw) { r.ZoneCount = 7 }, Problems{{KeyZoneCount, "7", "must be between 1 and 6"}}},
	{"unknown strategy", func(r *Raw) { r.NatStrategy = "both" }, Problems{{KeyNatStrategy, "both", `must be "perZone" (a NAT instance per zone) or "single"`}}},
	{"not a zone name", func(r *Raw) { r.AvailabilityZone = "Seoul" }, Problems{{KeyAvailabilityZone, "Seoul", "must be a zone name of the stack's region"}}},
	{"one zone for two", func(r *Raw) { r.ZoneCount, r.AvailabilityZone = 2, "ap-northeast-2a" },
		Problems{{KeyAvailabilityZone, "ap-northeast-2a", "gives one value but zoneCount is 2; use availabilityZones with 2 entries"}}},
	{"zone listed twice", func(r *Raw) { r.ZoneCount, r.AvailabilityZones = 2, []string{"ap-northeast-2a", "ap-northeast-2a"} },
		Problems{{KeyAvailabilityZones, "ap-northeast-2a", "is listed twice"}}},
	{"zones both ways", func(r *Raw) { r.AvailabilityZone, r.AvailabilityZones = "ap-northeast-2a", []string{"ap-northeast-2a"} },
		Problems{{KeyAvailabilityZones, "ap-northeast-2a", "set either availabilityZone or availabilityZones, not both"}}},
	{"public subnet outside the VPC", func(r *Raw) { r.PublicSubnetCidr = "10.41.1.0/24" },
		Problems{{KeyPublicSubnetCidr, "10.41.1.0/24", "must lie inside vpcCidr 10.40.0.0/16"}}},
	{"public subnets for another count", func(r *Raw) { r.PublicSubnetCidrs = []string{"10.40.1.0/24", "10.40.3.0/24"} },
		Problems{{KeyPublicSubnetCidrs, "10.40.1.0/24, 10.40.3.0/24", "has 2 entries but zoneCount is 1"}}},
	{"private subnet overlaps the carved public one", func(r *Raw) { r.PrivateSubnetCidr, r.PrivateInstanceIPs = "10.40.1.128/25", nil },
		Problems{{KeyPrivateSubnetCidr, "10.40.1.128/25", "must not overlap the public subnet carved for zone 1, 10.40.1.0/24"}}},
	{"given subnets overlap", func(r *Raw) {
		r.PublicSubnetCidr, r.PrivateSubnetCidr, r.PrivateInstanceIPs = "10.40.0.0/20", "10.40.8.0/24", nil
	},
		Problems{{KeyPrivateSubnetCidr, "10.40.8.0/24", "must not overlap publicSubnetCidr 10.40.0.0/20"}}},
	{"private subnet host bits", func(r *Raw) { r.PrivateSubnetCidrs = []string{"10.40.3.0/23"} },
		Problems{{KeyPrivateSubnetCidrs, "10.40.3.0/23", "did you mean 10.40.2.0/23?"}}},
	{"NAT address not an address", func(r *Raw) { r.NatPrivateIP = "nope" }, Problems{{KeyNatPrivateIP, "nope", "must be an IPv4 address"}}},
	{"NAT address outside its subnet", func(r *Raw) { r.NatPrivateIP = "10.40.2.100" },
		Problems{{KeyNatPrivateIP, "10.40.2.100", "must lie inside the public subnet 10.40.1.0/24"}}},
	{"NAT address reserved", func(r *Raw) { r.NatPrivateIP = "10.40.1.3" },
		Problems{{KeyNatPrivateIP, "10.40.1.3", "is reserved by AWS in 10.40.1.0/24; use 10.40.1.4 to 10.40.1.254"}}},
	{"NAT addresses for another count", func(r *Raw) { r.ZoneCount, r.NatPrivateIPs = 2, []string{"10.40.1.10"} },
		Problems{{KeyNatPrivateIPs, "10.40.1.10", "has 1 entries but zoneCount is 2"}}},
	{"NAT addresses for a single NAT", func(r *Raw) {
		r.ZoneCount, r.NatStrategy, r.NatPrivateIPs = 2, Single, []string{"10.40.1.10", "10.40.3.10"}
	},
		Problems{{KeyNatPrivateIPs, "10.40.1.10, 10.40.3.10", "has 2 entries but natStrategy single has one NAT instance"}}},
	{"NAT addresses in the second zone's subnet", func(r *Raw) { r.ZoneCount, r.NatPrivateIPs = 2, []string{"10.40.1.10", "10.40.1.11"} },
		Problems{{KeyNatPrivateIPs, "10.40.1.11", "must lie inside the public subnet of zone 2 10.40.3.0/24"}}},
	{"member addresses without pairs", func(r *Raw) { r.NatMemberIPs = []string{"10.40.1.50", "10.40.1.51"} },
		Problems{{KeyNatMemberIPs, "10.40.1.50, 10.40.1.51", "natHighAvailability is false"}}},
	{"one member address", func(r *Raw) { r.NatHighAvailability, r.NatMemberIPs = true, []string{"10.40.1.50"} },
		Problems{{KeyNatMemberIPs, "10.40.1.50", "has 1 entries but the stack has 1 NAT(s): give two per NAT"}}},
	{"member on the floating address", func(r *Raw) { r.NatHighAvailability, r.NatMemberIPs = true, []string{"10.40.1.100", "10.40.1.51"} },
		Problems{{KeyNatMemberIPs, "10.40.1.100", "is already used by a NAT's floating address (natPrivateIp)"}}},
	{"members carved past the subnet", func(r *Raw) { r.NatHighAvailability, r.NatPrivateIP = true, "10.40.1.254" }, Problems{
		{KeyNatMemberIPs, "10.40.1.255", "is carved right after the NAT address 10.40.1.254 but is not usable in the public subnet 10.40.1.0/24"},
		{KeyNatMemberIPs, "10.40.2.0", "is carved right after the NAT address 10.40.1.254"}}},
	{"private address not an address", func(r *Raw) { r.PrivateInstanceIPs = []string{"10.40.2.x"} },
		Problems{{KeyPrivateInstanceIPs, "10.40.2.x", "must be an IPv4 address such as 10.40.2.101"}}},
	{"private address in no private subnet", func(r *Raw) { r.PrivateInstanceIPs = []string{"10.40.1.150"} },
		Problems{{KeyPrivateInstanceIPs, "10.40.1.150", "must lie inside the private subnet of a zone: 10.40.2.0/24"}}},
	{"private broadcast address", func(r *Raw) { r.PrivateInstanceIPs = []string{"10.40.2.255"} },
		Problems{{KeyPrivateInstanceIPs, "10.40.2.255", "is reserved by AWS in 10.40.2.0/24"}}},
	{"private address twice", func(r *Raw) { r.PrivateInstanceIPs = []string{"10.40.2.101", "10.40.2.101"} },
		Problems{{KeyPrivateInstanceIPs, "10.40.2.101", "is already used by privateInstanceIps"}}},
	{"NAT instance type", func(r *Raw) { r.NatInstanceType = "t4g nano" },
		Problems{{KeyNatInstanceType, "t4g nano", "must be an EC2 instance type such as t4g.nano"}}},
	{"private instance type", func(r *Raw) { r.PrivateInstanceType = "T3.micro" },
		Problems{{KeyPrivateInstanceType, "T3.micro", "must be an EC2 instance type"}}},
	{"NAT image not an AMI id", func(r *Raw) { r.NatAmiID = "al2023" },
		Problems{{KeyNatAmiID, "al2023", "must be an AMI id such as ami-0123456789abcdef0, or unset"}}},
	{"private image id too short", func(r *Raw) { r.PrivateAmiID = "ami-0123" }, Problems{{KeyPrivateAmiID, "ami-0123", "must be an AMI id"}}},
	{"roll without pairs", func(r *Raw) { r.NatPairRoll = []string{"nat-instance-a"} },
		Problems{{KeyNatPairRoll, "nat-instance-a", "names NAT pair members but natHighAvailability is false"}}},
	{"roll of no member", func(r *Raw) { r.NatHighAvailability, r.NatPairRoll = true, []string{"nat-instance-2-a"} },
		Problems{{KeyNatPairRoll, "nat-instance-2-a", "must be a member of this stack's NAT pairs: nat-instance-a, nat-instance-b"}}},
	{"roll of both members", func(r *Raw) {
		r.NatHighAvailability, r.NatPairRoll = true, []string{"nat-instance-a", "nat-instance-b"}
	},
		Problems{{KeyNatPairRoll, "nat-instance-b", "and nat-instance-a are the two members of one pair: roll one at a time"}}},
	{"key name too long", func(r *Raw) { r.KeyName = strings.Repeat("k", 256) },
		Problems{{KeyKeyName, strings.Repeat("k", 256), "printable ASCII, at most 255 characters"}}},
	{"SSH from the world", func(r *Raw) { r.SSHAllowedCidrs = []string{"0.0.0.0/0"} },
		Problems{{KeySSHAllowedCidrs, "0.0.0.0/0", "prefix length must be between /8 and /32"}}},
	{"SSH from an address with a length", func(r *Raw) { r.SSHAllowedCidrs = []string{"203.0.113.7/24"} },
		Problems{{KeySSHAllowedCidrs, "203.0.113.7/24", "did you mean 203.0.113.0/24?"}}},
	{"alarm address with a name", func(r *Raw) { r.AlarmEmail = "Ops <ops@example.com>" },
		Problems{{KeyAlarmEmail, "Ops <ops@example.com>", "must be one e-mail address such as ops@example.com"}}},
	{"alarm topic and address", func(r *Raw) {
		r.AlarmEmail, r.AlarmTopicArn = "ops@example.com", "arn:aws:sns:ap-northeast-2:123456789012:alarms"
	}, Problems{{KeyAlarmTopicArn, "arn:aws:sns:ap-northeast-2:123456789012:alarms", "set either alarmTopicArn (an existing topic) or alarmEmail"}}},
	{"alarm key without a topic to make", func(r *Raw) { r.AlarmTopicKmsKeyID = "alias/alarms" },
		Problems{{KeyAlarmTopicKmsKeyID, "alias/alarms", "encrypts the topic the program makes for alarmEmail, which is not set"}}},
	{"boundary a role", func(r *Raw) { r.IamPermissionsBoundary = "arn:aws:iam::123456789012:role/admin" },
		Problems{{KeyIamPermissionsBoundary, "arn:aws:iam::123456789012:role/admin", "must be the ARN of an IAM managed policy"}}},
}

func TestParseRefusesBadValues(t *testing.T) {
	for _, tc := range badValues {
		_, err := Parse(edit(tc.edit))
		if got := problemsOf(t, err); !sameProblems(got, tc.want) {
			t.Errorf("%s: problems\n%v\nwant\n%v", tc.name, got, tc.want)
		}
	}
}

// Every mistake is reported in one go, in the order of the keys, and the message says that
// nothing was created.
func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse(edit(func(r *Raw) {
		r.NatStrategy = "one"
		r.PublicSubnetCidr = "10.50.1.0/24"
		r.PrivateInstanceIPs = []string{"10.40.2.1", "10.40.9.9"}
		r.NatInstanceType = "nano"
		r.SSHAllowedCidrs = []string{"0.0.0.0/0"}
	}))
	want := Problems{
		{KeyNatStrategy, "one", "must be"},
		{KeyPublicSubnetCidr, "10.50.1.0/24", "must lie inside vpcCidr 10.40.0.0/16"},
		{KeyPrivateInstanceIPs, "10.40.2.1", "reserved by AWS"},
		{KeyPrivateInstanceIPs, "10.40.9.9", "must lie inside the private subnet of a zone"},
		{KeyNatInstanceType, "nano", "instance type"},
		{KeySSHAllowedCidrs, "0.0.0.0/0", "between /8 and /32"},
	}
	if got := problemsOf(t, err); !sameProblems(got, want) {
		t.Errorf("problems\n%v\nwant\n%v", got, want)
	}
	for _, line := range []string{
		"invalid stack configuration (6 problem(s)); nothing was created:",
		`  - nat-instance:publicSubnetCidr = "10.50.1.0/24": must lie inside vpcCidr 10.40.0.0/16`,
	} {
		if !strings.Contains(err.Error(), line) {
			t.Errorf("message %q does not hold %q", err, line)
		}
	}
}

// A wrong zone count is reported alone: the per-zone lists are checked for as many zones as
// they give, so they are not blamed for the count's mistake.
func TestParseDoesNotBlameListsForAWrongZoneCount(t *testing.T) {
	_, err := Parse(edit(func(r *Raw) {
		r.ZoneCount = 0
		r.AvailabilityZones = []string{"ap-northeast-2a", "ap-northeast-2b"}
		r.PublicSubnetCidrs = []string{"10.40.1.0/24", "10.40.3.0/24"}
	}))
	if got, want := problemsOf(t, err), (Problems{{KeyZoneCount, "0", "must be between 1 and 6"}}); !sameProblems(got, want) {
		t.Errorf("problems %v, want %v", got, want)
	}
}
