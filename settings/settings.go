// Package settings reads the stack configuration and checks it completely before any
// resource is registered, so a mistake never leaves a half-built lab behind.
package settings

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is the project name, which prefixes every key: "nat-instance:vpcCidr".
const Namespace = "nat-instance"

// Config keys, as declared in Pulumi.yaml.
const (
	KeyVpcCidr             = "vpcCidr"
	KeyPublicSubnetCidr    = "publicSubnetCidr"
	KeyPrivateSubnetCidr   = "privateSubnetCidr"
	KeyAvailabilityZone    = "availabilityZone"
	KeyNatPrivateIP        = "natPrivateIp"
	KeyPrivateInstanceIPs  = "privateInstanceIps"
	KeyNatInstanceType     = "natInstanceType"
	KeyPrivateInstanceType = "privateInstanceType"
	KeyKeyName             = "keyName"
	KeySSHAllowedCidrs     = "sshAllowedCidrs"
)

// Defaults reproduce the lab's addresses. Pulumi.yaml declares the same values (a test keeps
// the two in step), so `pulumi config` shows them.
var Defaults = Raw{
	VpcCidr:             "10.40.0.0/16",
	PublicSubnetCidr:    "10.40.1.0/24",
	PrivateSubnetCidr:   "10.40.2.0/24",
	NatPrivateIP:        "10.40.1.100",
	PrivateInstanceIPs:  []string{"10.40.2.101", "10.40.2.102"},
	NatInstanceType:     "t4g.nano",
	PrivateInstanceType: "t4g.nano",
}

// Raw is the configuration as the user wrote it, before any checking.
type Raw struct {
	VpcCidr             string
	PublicSubnetCidr    string
	PrivateSubnetCidr   string
	AvailabilityZone    string
	NatPrivateIP        string
	PrivateInstanceIPs  []string
	NatInstanceType     string
	PrivateInstanceType string
	KeyName             string
	SSHAllowedCidrs     []string
}

// Settings is the checked configuration: every address parsed and known to fit.
type Settings struct {
	VpcCidr             netip.Prefix
	Zones               []Zone
	NatInstanceType     string
	PrivateInstanceType string
	KeyName             string         // empty: no key pair, Session Manager only
	SSHAllowedCidrs     []netip.Prefix // empty: no SSH from outside the VPC
}

// Zone is one availability zone's share of the VPC.
type Zone struct {
	AvailabilityZone   string // empty: the program picks one that offers the instance types
	PublicSubnet       netip.Prefix
	PrivateSubnet      netip.Prefix
	NatPrivateIP       netip.Addr
	PrivateInstanceIPs []netip.Addr
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
	str(KeyPublicSubnetCidr, &raw.PublicSubnetCidr)
	str(KeyPrivateSubnetCidr, &raw.PrivateSubnetCidr)
	str(KeyAvailabilityZone, &raw.AvailabilityZone)
	str(KeyNatPrivateIP, &raw.NatPrivateIP)
	list(KeyPrivateInstanceIPs, &raw.PrivateInstanceIPs)
	str(KeyNatInstanceType, &raw.NatInstanceType)
	str(KeyPrivateInstanceType, &raw.PrivateInstanceType)
	str(KeyKeyName, &raw.KeyName)
	list(KeySSHAllowedCidrs, &raw.SSHAllowedCidrs)
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
		NatInstanceType:     raw.NatInstanceType,
		PrivateInstanceType: raw.PrivateInstanceType,
		KeyName:             raw.KeyName,
	}
	zone := Zone{AvailabilityZone: raw.AvailabilityZone}

	vpc, vpcOK := p.prefix(KeyVpcCidr, raw.VpcCidr, 16, 28)
	s.VpcCidr = vpc
	pub, pubOK := p.subnet(KeyPublicSubnetCidr, raw.PublicSubnetCidr, vpc, vpcOK)
	priv, privOK := p.subnet(KeyPrivateSubnetCidr, raw.PrivateSubnetCidr, vpc, vpcOK)
	if pubOK && privOK && pub.Overlaps(priv) {
		p.add(KeyPrivateSubnetCidr, priv.String(), fmt.Sprintf("must not overlap %s %s", KeyPublicSubnetCidr, pub))
		privOK = false
	}
	zone.PublicSubnet, zone.PrivateSubnet = pub, priv

	seen := map[netip.Addr]string{}
	zone.NatPrivateIP, _ = p.hostIP(KeyNatPrivateIP, raw.NatPrivateIP, KeyPublicSubnetCidr, pub, pubOK, seen)
	for _, ip := range raw.PrivateInstanceIPs {
		if addr, ok := p.hostIP(KeyPrivateInstanceIPs, ip, KeyPrivateSubnetCidr, priv, privOK, seen); ok {
			zone.PrivateInstanceIPs = append(zone.PrivateInstanceIPs, addr)
		}
	}

	if raw.AvailabilityZone != "" && !zonePattern.MatchString(raw.AvailabilityZone) {
		p.add(KeyAvailabilityZone, raw.AvailabilityZone, "must be a zone name of the stack's region, e.g. ap-northeast-2a, or unset to pick one")
	}
	for _, it := range []struct{ key, value string }{
		{KeyNatInstanceType, raw.NatInstanceType},
		{KeyPrivateInstanceType, raw.PrivateInstanceType},
	} {
		if !instanceTypePattern.MatchString(it.value) {
			p.add(it.key, it.value, "must be an EC2 instance type such as t4g.nano or t3.micro")
		}
	}
	if raw.KeyName != "" && !keyNamePattern.MatchString(raw.KeyName) {
		p.add(KeyKeyName, raw.KeyName, "must be the name of an existing EC2 key pair (printable ASCII, at most 255 characters), or unset")
	}
	for _, c := range raw.SSHAllowedCidrs {
		if prefix, ok := p.prefix(KeySSHAllowedCidrs, c, 1, 32); ok {
			s.SSHAllowedCidrs = append(s.SSHAllowedCidrs, prefix)
		}
	}

	s.Zones = []Zone{zone}
	return s, p.err()
}

// prefix parses an IPv4 CIDR whose prefix length lies in [minBits, maxBits] and whose host bits
// are zero (AWS would otherwise store a different network from the one written).
func (p *Problems) prefix(key, value string, minBits, maxBits int) (netip.Prefix, bool) {
	prefix, err := netip.ParsePrefix(value)
	switch {
	case err != nil || !prefix.Addr().Is4():
		p.add(key, value, "must be an IPv4 CIDR such as 10.40.0.0/16")
	case prefix.Bits() < minBits || prefix.Bits() > maxBits:
		p.add(key, value, fmt.Sprintf("prefix length must be between /%d and /%d", minBits, maxBits))
	case prefix.Masked() != prefix:
		p.add(key, value, fmt.Sprintf("has host bits set; did you mean %s?", prefix.Masked()))
	default:
		return prefix, true
	}
	return netip.Prefix{}, false
}

// subnet parses a subnet CIDR (/16../28, as AWS allows) that must lie inside the VPC.
func (p *Problems) subnet(key, value string, vpc netip.Prefix, vpcOK bool) (netip.Prefix, bool) {
	sub, ok := p.prefix(key, value, 16, 28)
	if ok && vpcOK && !(vpc.Contains(sub.Addr()) && sub.Bits() >= vpc.Bits()) {
		p.add(key, value, fmt.Sprintf("must lie inside %s %s", KeyVpcCidr, vpc))
		return sub, false
	}
	return sub, ok
}

// hostIP parses an instance address that must be usable in the subnet: inside it, not one of
// the first four addresses AWS reserves (network, router, DNS, future use), not the broadcast
// address, and not already taken by another instance.
func (p *Problems) hostIP(key, value, subnetKey string, subnet netip.Prefix, subnetOK bool, seen map[netip.Addr]string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(value)
	if err != nil || !addr.Is4() {
		p.add(key, value, "must be an IPv4 address such as 10.40.2.101")
		return netip.Addr{}, false
	}
	if !subnetOK {
		return addr, false // the subnet's own problem is reported already
	}
	first, last := usableRange(subnet)
	switch {
	case !subnet.Contains(addr):
		p.add(key, value, fmt.Sprintf("must lie inside %s %s", subnetKey, subnet))
	case addr.Less(first) || last.Less(addr):
		p.add(key, value, fmt.Sprintf("is reserved by AWS in %s; use %s to %s", subnet, first, last))
	case seen[addr] != "":
		p.add(key, value, fmt.Sprintf("is already used by %s; every instance needs its own address", seen[addr]))
	default:
		seen[addr] = key
		return addr, true
	}
	return addr, false
}

// usableRange returns the first and last address AWS lets an instance use in subnet.
func usableRange(subnet netip.Prefix) (first, last netip.Addr) {
	base := toUint32(subnet.Addr())
	size := uint32(1) << (32 - subnet.Bits())
	return fromUint32(base + 4), fromUint32(base + size - 2)
}

func toUint32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func fromUint32(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}
