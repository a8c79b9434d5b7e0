// Package settings reads the stack configuration and checks it completely before any
// resource is registered, so a mistake never leaves a half-built lab behind.
package settings

import "net/netip"

// Namespace is the project name, which prefixes every key: "nat-instance:vpcCidr".
const Namespace = "nat-instance"

// Config keys, as declared in Pulumi.yaml.
const (
	KeyVpcCidr             = "vpcCidr"
	KeyZoneCount           = "zoneCount"
	KeyNatStrategy         = "natStrategy"
	KeyAvailabilityZone    = "availabilityZone"
	KeyAvailabilityZones   = "availabilityZones"
	KeyPublicSubnetCidr    = "publicSubnetCidr"
	KeyPublicSubnetCidrs   = "publicSubnetCidrs"
	KeyPrivateSubnetCidr   = "privateSubnetCidr"
	KeyPrivateSubnetCidrs  = "privateSubnetCidrs"
	KeyNatPrivateIP        = "natPrivateIp"
	KeyNatPrivateIPs       = "natPrivateIps"
	KeyPrivateInstanceIPs  = "privateInstanceIps"
	KeyNatInstanceType     = "natInstanceType"
	KeyPrivateInstanceType = "privateInstanceType"
	KeyNatAmiID            = "natAmiId"
	KeyPrivateAmiID        = "privateAmiId"
	KeyNatPairRoll         = "natPairRoll"
	KeyKeyName             = "keyName"
	KeySSHAllowedCidrs     = "sshAllowedCidrs"
)

// NAT strategies: one NAT instance per zone, or one in the first zone for all of them.
const (
	PerZone = "perZone"
	Single  = "single"
)

// MaxZones is the most availability zones any AWS region has.
const MaxZones = 6

// Defaults reproduce the lab: one zone, whose subnets and NAT address are carved from the VPC
// CIDR (10.40.1.0/24, 10.40.2.0/24, 10.40.1.100), and two private instances. Pulumi.yaml declares
// the same values (a test keeps the two in step), so `pulumi config` shows them.
var Defaults = Raw{
	VpcCidr:             "10.40.0.0/16",
	ZoneCount:           1,
	NatStrategy:         PerZone,
	PrivateInstanceIPs:  []string{"10.40.2.101", "10.40.2.102"},
	NatInstanceType:     "t4g.nano",
	PrivateInstanceType: "t4g.nano",
	Dashboard:           true,
}

// Raw is the configuration as the user wrote it, before any checking. Per-zone values come
// either as a singular key (one zone) or as a list with one entry per zone; empty means carved.
type Raw struct {
	VpcCidr             string
	ZoneCount           int
	NatStrategy         string
	AvailabilityZone    string
	AvailabilityZones   []string
	PublicSubnetCidr    string
	PublicSubnetCidrs   []string
	PrivateSubnetCidr   string
	PrivateSubnetCidrs  []string
	NatPrivateIP        string
	NatPrivateIPs       []string
	NatHighAvailability bool
	NatMemberIPs        []string
	PrivateInstanceIPs  []string
	NatInstanceType     string
	PrivateInstanceType string
	NatAmiID            string
	PrivateAmiID        string
	NatPairRoll         []string
	KeyName             string
	SSHAllowedCidrs     []string
	AlarmEmail          string
	AlarmTopicArn       string
	AlarmTopicKmsKeyID  string
	Dashboard           bool
	// IamPermissionsBoundary is a managed policy ARN, or empty.
	IamPermissionsBoundary string
}

// Settings is the checked configuration: every address parsed and known to fit.
type Settings struct {
	VpcCidr netip.Prefix
	Zones   []Zone
	// ZonesKey is the key the zone names came from, for messages about them.
	ZonesKey    string
	NatStrategy string
	// NatHighAvailability makes every NAT a pair of member instances that fail over to each other.
	NatHighAvailability bool
	// PrivateInstances are in config order; each lies in the private subnet of Zones[Zone].
	PrivateInstances    []PrivateInstance
	NatInstanceType     string
	PrivateInstanceType string
	// NatAmiID and PrivateAmiID pin the images; empty: the current Amazon Linux 2023, kept
	// once an instance runs it (see compute.ResolveImage).
	NatAmiID     string
	PrivateAmiID string
	// NatPairRoll names the NAT pair members that take the configured image, instance type, key
	// pair and boot script; the others keep what they run (docs/updating.md).
	NatPairRoll     []string
	KeyName         string         // empty: no key pair, Session Manager only
	SSHAllowedCidrs []netip.Prefix // empty: no SSH from outside the VPC
	// Alarms notify AlarmTopicArn, or a topic made for AlarmEmail (encrypted with
	// AlarmTopicKmsKeyID, or a key made for it), or no one when both are empty.
	AlarmEmail, AlarmTopicArn, AlarmTopicKmsKeyID string
	// Dashboard makes a CloudWatch dashboard of the stack's NATs.
	Dashboard bool
	// IamPermissionsBoundary is the boundary of every IAM role the stack creates; empty: none.
	IamPermissionsBoundary string
}

// Zone is one availability zone's share of the VPC.
type Zone struct {
	AvailabilityZone string // empty: the program picks one that offers the instance types
	PublicSubnet     netip.Prefix
	PrivateSubnet    netip.Prefix
	// NatPrivateIP is valid when the zone has a NAT instance (every zone under perZone, the
	// first under single).
	NatPrivateIP netip.Addr
	// NatMemberIPs are the fixed addresses of the NAT pair's members a and b, valid when the
	// zone has a NAT and natHighAvailability is on.
	NatMemberIPs [2]netip.Addr
}

// PrivateInstance is one private instance's address and the index of its zone.
type PrivateInstance struct {
	IP   netip.Addr
	Zone int
}

// NatZones returns the indexes of the zones that have a NAT instance.
func (s Settings) NatZones() []int {
	var out []int
	for i, z := range s.Zones {
		if z.NatPrivateIP.IsValid() {
			out = append(out, i)
		}
	}
	return out
}
