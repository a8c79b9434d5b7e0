package settings

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

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

// keyUsed names the key a per-zone value came from, for messages.
func keyUsed(one, value, many string) string {
	if value != "" {
		return one
	}
	return many
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
