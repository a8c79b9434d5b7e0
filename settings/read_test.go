package settings

import (
	"reflect"
	"testing"
)

// stack plays the stack's configuration: the keys it sets, with their values as Pulumi gives
// them (lists as JSON).
func stack(kv map[string]string) lookup {
	return func(key string) (string, bool) {
		v, ok := kv[key]
		return v, ok
	}
}

func TestReadKeepsTheDefaultsOfUnsetKeys(t *testing.T) {
	raw, err := read(stack(nil))
	if err != nil || !reflect.DeepEqual(raw, Defaults) {
		t.Errorf("read of no keys = %+v, %v; want the defaults %+v", raw, err, Defaults)
	}
}

// Every declared key lands in its own field, strings trimmed of the blanks a copy and paste
// brings along.
func TestReadPutsEveryKeyInItsField(t *testing.T) {
	set := map[string]string{
		KeyVpcCidr: " 10.50.0.0/16 ", KeyZoneCount: " 2 ", KeyNatStrategy: "single ",
		KeyAvailabilityZone: "ap-northeast-2c", KeyAvailabilityZones: `["ap-northeast-2a", "ap-northeast-2b"]`,
		KeyPublicSubnetCidr: "10.50.1.0/24", KeyPublicSubnetCidrs: `["10.50.1.0/24", "10.50.3.0/24"]`,
		KeyPrivateSubnetCidr: "10.50.2.0/24", KeyPrivateSubnetCidrs: `["10.50.2.0/24", "10.50.4.0/24"]`,
		KeyNatPrivateIP: "10.50.1.10", KeyNatPrivateIPs: `["10.50.1.10", "10.50.3.10"]`,
		KeyNatHighAvailability: " true", KeyNatMemberIPs: `["10.50.1.11", "10.50.1.12"]`,
		KeyPrivateInstanceIPs: `[]`, KeyNatInstanceType: "t3.micro", KeyPrivateInstanceType: "t3.small",
		KeyNatAmiID: "ami-0123456789abcdef0", KeyPrivateAmiID: "ami-01234567", KeyNatPairRoll: `["nat-instance-b"]`,
		KeyKeyName: "lab-key", KeySSHAllowedCidrs: `["203.0.113.0/24"]`,
		KeyAlarmEmail: " ops@example.com", KeyAlarmTopicArn: "arn:aws:sns:ap-northeast-2:123456789012:alarms",
		KeyAlarmTopicKmsKeyID: "alias/alarms", KeyDashboard: "false",
		KeyIamPermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary ",
	}
	for key := range readProject(t) {
		if _, ok := set[key]; !ok {
			t.Fatalf("the test sets no value of %s, which Pulumi.yaml declares", key)
		}
	}
	want := Raw{
		VpcCidr: "10.50.0.0/16", ZoneCount: 2, NatStrategy: "single",
		AvailabilityZone: "ap-northeast-2c", AvailabilityZones: []string{"ap-northeast-2a", "ap-northeast-2b"},
		PublicSubnetCidr: "10.50.1.0/24", PublicSubnetCidrs: []string{"10.50.1.0/24", "10.50.3.0/24"},
		PrivateSubnetCidr: "10.50.2.0/24", PrivateSubnetCidrs: []string{"10.50.2.0/24", "10.50.4.0/24"},
		NatPrivateIP: "10.50.1.10", NatPrivateIPs: []string{"10.50.1.10", "10.50.3.10"},
		NatHighAvailability: true, NatMemberIPs: []string{"10.50.1.11", "10.50.1.12"},
		PrivateInstanceIPs: []string{}, NatInstanceType: "t3.micro", PrivateInstanceType: "t3.small",
		NatAmiID: "ami-0123456789abcdef0", PrivateAmiID: "ami-01234567", NatPairRoll: []string{"nat-instance-b"},
		KeyName: "lab-key", SSHAllowedCidrs: []string{"203.0.113.0/24"},
		AlarmEmail: "ops@example.com", AlarmTopicArn: "arn:aws:sns:ap-northeast-2:123456789012:alarms",
		AlarmTopicKmsKeyID: "alias/alarms", Dashboard: false,
		IamPermissionsBoundary: "arn:aws:iam::123456789012:policy/boundary",
	}
	raw, err := read(stack(set))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("read =\n%+v\nwant\n%+v", raw, want)
	}
}

// badReads are values that are not of their key's type, which reading reports.
var badReads = []struct {
	key, value, want string
}{
	{KeyZoneCount, "two", "must be a whole number"},
	{KeyZoneCount, "2.5", "must be a whole number"},
	{KeyAvailabilityZones, "ap-northeast-2a", `must be a list of strings, e.g. ["10.40.2.101"]`},
	{KeyPublicSubnetCidrs, "10.40.1.0/24,10.40.3.0/24", "must be a list of strings"},
	{KeyPrivateSubnetCidrs, `"10.40.2.0/24"`, "must be a list of strings"},
	{KeyNatPrivateIPs, "[10.40.1.10]", "must be a list of strings"},
	{KeyNatHighAvailability, "yes", "must be true (a pair of member instances per NAT) or false (one NAT instance)"},
	{KeyNatMemberIPs, `{"a": "10.40.1.11"}`, "must be a list of strings"},
	{KeyPrivateInstanceIPs, "10.40.2.101", "must be a list of strings"},
	{KeyNatPairRoll, "[1, 2]", "must be a list of strings"},
	{KeySSHAllowedCidrs, "203.0.113.0/24", "must be a list of strings"},
	{KeyDashboard, "on", "must be true (a CloudWatch dashboard of the stack's NATs) or false (none)"},
}

func TestReadRefusesValuesNotOfTheKeysType(t *testing.T) {
	all := map[string]string{}
	var want Problems
	for _, tc := range badReads {
		_, err := read(stack(map[string]string{tc.key: tc.value}))
		if got, want := problemsOf(t, err), (Problems{{tc.key, tc.value, tc.want}}); !sameProblems(got, want) {
			t.Errorf("%s = %q: problems %v, want %v", tc.key, tc.value, got, want)
		}
		if _, twice := all[tc.key]; !twice {
			all[tc.key] = tc.value
			want = append(want, Problem{tc.key, tc.value, tc.want})
		}
	}
	// All at once: every one reported, in the order read takes the keys (that of the table).
	_, err := read(stack(all))
	if got := problemsOf(t, err); !sameProblems(got, want) {
		t.Errorf("all at once: problems\n%v\nwant\n%v", got, want)
	}
}

// Every key Pulumi.yaml declares has a good value and a bad one among the cases of read and
// Parse, so that a new key comes with its tests.
func TestEveryKeyHasGoodAndBadValues(t *testing.T) {
	good, bad := map[string]bool{}, map[string]bool{}
	for _, tc := range goodValues {
		good[tc.key] = true
	}
	for _, tc := range badValues {
		for _, p := range tc.want {
			bad[p.Key] = true
		}
	}
	for _, tc := range badReads {
		bad[tc.key] = true
	}
	for key := range readProject(t) {
		if !good[key] {
			t.Errorf("%s has no good value in goodValues", key)
		}
		if !bad[key] {
			t.Errorf("%s has no bad value in badValues or badReads", key)
		}
	}
}
