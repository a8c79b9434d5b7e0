// Package settings reads the stack configuration and checks it completely before any
// resource is registered, so a mistake never leaves a half-built lab behind.
package settings

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

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

// Load reads the stack configuration, applies the defaults and checks it.
func Load(ctx *pulumi.Context) (Settings, error) {
	raw, err := read(config.New(ctx, ""))
	if err != nil {
		return Settings{}, err
	}
	return Parse(raw)
}

func read(cfg *config.Config) (Raw, error) {
	raw := Defaults
	var problems Problems
	str := func(key string, dst *string) {
		if v, err := cfg.Try(key); err == nil {
			*dst = strings.TrimSpace(v)
		}
	}
	integer := func(key string, dst *int) {
		v, err := cfg.Try(key)
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			problems.add(key, v, "must be a whole number")
			return
		}
		*dst = n
	}
	list := func(key string, dst *[]string) {
		v, err := cfg.Try(key)
		if err != nil {
			return // not set: keep the default
		}
		var items []string
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			problems.add(key, v, `must be a list of strings, e.g. ["10.40.2.101"]`)
			return
		}
		*dst = items
	}
	str(KeyVpcCidr, &raw.VpcCidr)
	integer(KeyZoneCount, &raw.ZoneCount)
	str(KeyNatStrategy, &raw.NatStrategy)
	str(KeyAvailabilityZone, &raw.AvailabilityZone)
	list(KeyAvailabilityZones, &raw.AvailabilityZones)
	str(KeyPublicSubnetCidr, &raw.PublicSubnetCidr)
	list(KeyPublicSubnetCidrs, &raw.PublicSubnetCidrs)
	str(KeyPrivateSubnetCidr, &raw.PrivateSubnetCidr)
	list(KeyPrivateSubnetCidrs, &raw.PrivateSubnetCidrs)
	str(KeyNatPrivateIP, &raw.NatPrivateIP)
	list(KeyNatPrivateIPs, &raw.NatPrivateIPs)
	readNatPair(cfg, &raw, &problems)
	list(KeyNatMemberIPs, &raw.NatMemberIPs)
	list(KeyPrivateInstanceIPs, &raw.PrivateInstanceIPs)
	str(KeyNatInstanceType, &raw.NatInstanceType)
	str(KeyPrivateInstanceType, &raw.PrivateInstanceType)
	str(KeyNatAmiID, &raw.NatAmiID)
	str(KeyPrivateAmiID, &raw.PrivateAmiID)
	list(KeyNatPairRoll, &raw.NatPairRoll)
	str(KeyKeyName, &raw.KeyName)
	list(KeySSHAllowedCidrs, &raw.SSHAllowedCidrs)
	readAlarms(cfg, &raw, &problems)
	readBoundary(cfg, &raw)
	return raw, problems.err()
}

var (
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	zonePattern         = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+$`)
	keyNamePattern      = regexp.MustCompile(`^[\x20-\x7e]{1,255}$`)
)

// Parse checks raw and reports every mistake at once.
func Parse(raw Raw) (Settings, error) {
	var p Problems
	s := Settings{
		NatStrategy:         raw.NatStrategy,
		NatHighAvailability: raw.NatHighAvailability,
		NatInstanceType:     raw.NatInstanceType,
		PrivateInstanceType: raw.PrivateInstanceType,
		KeyName:             raw.KeyName,
	}
	n := raw.ZoneCount
	if n < 1 || n > MaxZones {
		p.add(KeyZoneCount, strconv.Itoa(n), fmt.Sprintf("must be between 1 and %d", MaxZones))
		// Check the rest for as many zones as the lists give, so that they are not blamed for
		// a count that is itself wrong.
		n = max(1, len(raw.AvailabilityZones), len(raw.PublicSubnetCidrs), len(raw.PrivateSubnetCidrs))
	}
	if raw.NatStrategy != PerZone && raw.NatStrategy != Single {
		p.add(KeyNatStrategy, raw.NatStrategy, fmt.Sprintf("must be %q (a NAT instance per zone) or %q (one, in the first zone)", PerZone, Single))
	}
	natCount := n
	if raw.NatStrategy == Single {
		natCount = 1
	}

	vpc, vpcOK := p.prefix(KeyVpcCidr, raw.VpcCidr, 16, 28)
	if reserved := reservedRange(vpc); vpcOK && reserved.IsValid() {
		p.add(KeyVpcCidr, raw.VpcCidr, fmt.Sprintf("lies in %s, which AWS does not allow for a VPC; use a private range such as 10.0.0.0/8", reserved))
		vpcOK = false
	}
	s.VpcCidr = vpc

	zones, _ := p.perZone(KeyAvailabilityZone, raw.AvailabilityZone, KeyAvailabilityZones, raw.AvailabilityZones, n, zonesWhy(n))
	s.ZonesKey = keyUsed(KeyAvailabilityZone, raw.AvailabilityZone, KeyAvailabilityZones)
	for i, z := range zones {
		if !zonePattern.MatchString(z) {
			p.add(s.ZonesKey, z, "must be a zone name of the stack's region, e.g. ap-northeast-2a, or unset to pick one")
		} else if slices.Index(zones, z) != i {
			p.add(s.ZonesKey, z, "is listed twice; every zone must be another availability zone")
		}
	}
	s.Zones = make([]Zone, n)
	for i := range s.Zones {
		if zones != nil {
			s.Zones[i].AvailabilityZone = zones[i]
		}
	}

	p.subnets(&s, raw, vpc, vpcOK)
	p.natIPs(&s, raw, natCount)
	p.natMembers(&s, raw)
	seen := map[netip.Addr]string{}
	for _, z := range s.Zones {
		if z.NatPrivateIP.IsValid() {
			seen[z.NatPrivateIP] = KeyNatPrivateIP
		}
	}
	for _, ip := range raw.PrivateInstanceIPs {
		if inst, ok := p.privateInstance(s.Zones, ip, seen); ok {
			s.PrivateInstances = append(s.PrivateInstances, inst)
		}
	}

	for _, it := range []struct{ key, value string }{
		{KeyNatInstanceType, raw.NatInstanceType},
		{KeyPrivateInstanceType, raw.PrivateInstanceType},
	} {
		if want := CheckInstanceType(it.value); want != "" {
			p.add(it.key, it.value, want)
		}
	}
	p.images(&s, raw)
	p.pairRoll(&s, raw)
	if want := CheckKeyName(raw.KeyName); want != "" {
		p.add(KeyKeyName, raw.KeyName, want)
	}
	for _, c := range raw.SSHAllowedCidrs {
		// /1 to /7 would open SSH to a large part of the internet in a few rules.
		if prefix, ok := p.prefix(KeySSHAllowedCidrs, c, 8, 32); ok {
			s.SSHAllowedCidrs = append(s.SSHAllowedCidrs, prefix)
		}
	}
	p.alarms(&s, raw)
	p.boundary(&s, raw)
	return s, p.err()
}

// perZone resolves a value given per zone (or per NAT) as a singular key or a list: the
// values, count of them, or nil when neither is set (the program carves or picks them). why
// says where count comes from, for messages.
func (p *Problems) perZone(one, value, many string, values []string, count int, why string) ([]string, bool) {
	switch {
	case value != "" && len(values) > 0:
		p.add(many, strings.Join(values, ", "), fmt.Sprintf("set either %s or %s, not both", one, many))
		return nil, false
	case value != "" && count > 1:
		p.add(one, value, fmt.Sprintf("gives one value but %s; use %s with %d entries, or leave both unset", why, many, count))
		return nil, false
	case value != "":
		return []string{value}, true
	case len(values) > 0 && len(values) != count:
		p.add(many, strings.Join(values, ", "), fmt.Sprintf("has %d entries but %s: give one each, or leave it unset", len(values), why))
		return nil, false
	case len(values) > 0:
		return values, true
	}
	return nil, true
}

func zonesWhy(n int) string { return fmt.Sprintf("%s is %d", KeyZoneCount, n) }

// subnets fills each zone's public and private subnet, given or carved. A subnet that does not
// parse or lies outside the VPC is left invalid (zero), so addresses are not checked against it.
func (p *Problems) subnets(s *Settings, raw Raw, vpc netip.Prefix, vpcOK bool) {
	n := len(s.Zones)
	public, publicOK := p.perZone(KeyPublicSubnetCidr, raw.PublicSubnetCidr, KeyPublicSubnetCidrs, raw.PublicSubnetCidrs, n, zonesWhy(n))
	private, privateOK := p.perZone(KeyPrivateSubnetCidr, raw.PrivateSubnetCidr, KeyPrivateSubnetCidrs, raw.PrivateSubnetCidrs, n, zonesWhy(n))
	if !publicOK || !privateOK || !vpcOK {
		return // reported already; subnets are checked against the VPC
	}
	carved, canCarve := carve(vpc, n)
	if (public == nil || private == nil) && !canCarve {
		p.add(KeyVpcCidr, vpc.String(), fmt.Sprintf("is too small to carve subnets for %d zone(s) from; give %s and %s", n, KeyPublicSubnetCidrs, KeyPrivateSubnetCidrs))
		return
	}
	publicKey, privateKey := keyUsed(KeyPublicSubnetCidr, raw.PublicSubnetCidr, KeyPublicSubnetCidrs), keyUsed(KeyPrivateSubnetCidr, raw.PrivateSubnetCidr, KeyPrivateSubnetCidrs)
	placed := &placement{vpc: vpc}
	for i := range s.Zones {
		s.Zones[i].PublicSubnet = p.place(placed, "public", publicKey, public, i, carved[2*i])
		s.Zones[i].PrivateSubnet = p.place(placed, "private", privateKey, private, i, carved[2*i+1])
	}
}

// keyUsed names the key a per-zone value came from, for messages.
func keyUsed(one, value, many string) string {
	if value != "" {
		return one
	}
	return many
}

// placement tracks the subnets placed so far, to report overlaps by the key that set them.
type placement struct {
	vpc    netip.Prefix
	keys   []string
	placed []netip.Prefix
}

// place takes zone i's subnet from the given list, or the carved one when none is given.
func (p *Problems) place(pl *placement, kind, key string, given []string, i int, carved netip.Prefix) netip.Prefix {
	sub, label := carved, fmt.Sprintf("the %s subnet carved for zone %d,", kind, i+1)
	if given != nil {
		var ok bool
		if sub, ok = p.subnet(key, given[i], pl.vpc); !ok {
			return netip.Prefix{}
		}
		label = key
	}
	for j, other := range pl.placed {
		switch {
		case !sub.Overlaps(other):
		case given == nil:
			// Only a given subnet can overlap a carved one: blame the key the user set.
			p.add(pl.keys[j], other.String(), fmt.Sprintf("must not overlap %s %s", label, sub))
		default:
			p.add(key, sub.String(), fmt.Sprintf("must not overlap %s %s", pl.keys[j], other))
		}
	}
	pl.keys, pl.placed = append(pl.keys, label), append(pl.placed, sub)
	return sub
}

// carve splits the VPC into blocks 8 bits longer (at most /28) and gives zone i the blocks
// 2i+1 (public) and 2i+2 (private), leaving block 0 free: 10.40.0.0/16 gives zone 1
// 10.40.1.0/24 and 10.40.2.0/24, as in the lab.
func carve(vpc netip.Prefix, zones int) ([]netip.Prefix, bool) {
	bits := min(vpc.Bits()+8, 28)
	blocks := 1 << (bits - vpc.Bits())
	if 2*zones >= blocks {
		return make([]netip.Prefix, 2*zones), false
	}
	out := make([]netip.Prefix, 2*zones)
	size := uint32(1) << (32 - bits)
	for i := range out {
		out[i] = netip.PrefixFrom(fromUint32(toUint32(vpc.Addr())+uint32(i+1)*size), bits)
	}
	return out, true
}

// natIPs fills the NAT address of each zone that has a NAT instance: given, or carved as the
// public subnet's 100th address (the lab's 10.40.1.100), or its first usable one in a small
// subnet.
func (p *Problems) natIPs(s *Settings, raw Raw, natCount int) {
	why := zonesWhy(natCount)
	if raw.NatStrategy == Single {
		why = fmt.Sprintf("%s %s has one NAT instance", KeyNatStrategy, Single)
	}
	given, ok := p.perZone(KeyNatPrivateIP, raw.NatPrivateIP, KeyNatPrivateIPs, raw.NatPrivateIPs, natCount, why)
	if !ok {
		return
	}
	key := keyUsed(KeyNatPrivateIP, raw.NatPrivateIP, KeyNatPrivateIPs)
	seen := map[netip.Addr]string{}
	for i := range natCount {
		subnet := s.Zones[i].PublicSubnet
		if given == nil {
			if !subnet.IsValid() {
				continue
			}
			first, last := usableRange(subnet)
			carved := fromUint32(toUint32(subnet.Addr()) + 100)
			if last.Less(carved) {
				carved = first
			}
			s.Zones[i].NatPrivateIP = carved
			continue
		}
		subnetKey := "the public subnet"
		if len(s.Zones) > 1 {
			subnetKey = fmt.Sprintf("the public subnet of zone %d", i+1)
		}
		if addr, ok := p.hostIP(key, given[i], subnetKey, subnet, seen); ok {
			s.Zones[i].NatPrivateIP = addr
		}
	}
}

// privateInstance places a private instance in the zone whose private subnet holds its address.
func (p *Problems) privateInstance(zones []Zone, value string, seen map[netip.Addr]string) (PrivateInstance, bool) {
	addr, err := netip.ParseAddr(value)
	if err != nil || !addr.Is4() {
		p.add(KeyPrivateInstanceIPs, value, "must be an IPv4 address such as 10.40.2.101")
		return PrivateInstance{}, false
	}
	var private []string
	for i, z := range zones {
		if !z.PrivateSubnet.IsValid() {
			return PrivateInstance{}, false // cannot tell where it belongs; the subnet is reported
		}
		private = append(private, z.PrivateSubnet.String())
		if z.PrivateSubnet.Contains(addr) {
			_, ok := p.hostIP(KeyPrivateInstanceIPs, value, "its private subnet", z.PrivateSubnet, seen)
			return PrivateInstance{IP: addr, Zone: i}, ok
		}
	}
	p.add(KeyPrivateInstanceIPs, value, "must lie inside the private subnet of a zone: "+strings.Join(private, ", "))
	return PrivateInstance{}, false
}

// prefix parses an IPv4 CIDR whose prefix length lies in [minBits, maxBits] and whose host bits
// are zero (AWS would otherwise store a different network from the one written).
func (p *Problems) prefix(key, value string, minBits, maxBits int) (netip.Prefix, bool) {
	prefix, want := ParsePrefix(value, minBits, maxBits)
	if want != "" {
		p.add(key, value, want)
		return netip.Prefix{}, false
	}
	return prefix, true
}

// subnet parses a subnet CIDR (/16../28, as AWS allows) that must lie inside the VPC.
func (p *Problems) subnet(key, value string, vpc netip.Prefix) (netip.Prefix, bool) {
	sub, ok := p.prefix(key, value, 16, 28)
	if ok && !(vpc.Contains(sub.Addr()) && sub.Bits() >= vpc.Bits()) {
		p.add(key, value, fmt.Sprintf("must lie inside %s %s", KeyVpcCidr, vpc))
		return sub, false
	}
	return sub, ok
}

// hostIP parses an instance address that must be usable in the subnet (see CheckHostIP).
func (p *Problems) hostIP(key, value, subnetKey string, subnet netip.Prefix, seen map[netip.Addr]string) (netip.Addr, bool) {
	addr, want := CheckHostIP(value, subnetKey, subnet, seen)
	if want != "" {
		p.add(key, value, want)
		return addr, false
	}
	if !subnet.IsValid() {
		return addr, false
	}
	seen[addr] = key
	return addr, true
}
