package settings

import (
	"fmt"
	"net/netip"
	"strings"
)

// The subnet layout: each zone's public and private subnet, given or carved from the VPC, and
// where the NAT and private instances' addresses lie in them.

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

// subnet parses a subnet CIDR (/16../28, as AWS allows) that must lie inside the VPC.
func (p *Problems) subnet(key, value string, vpc netip.Prefix) (netip.Prefix, bool) {
	sub, ok := p.prefix(key, value, 16, 28)
	if ok && !(vpc.Contains(sub.Addr()) && sub.Bits() >= vpc.Bits()) {
		p.add(key, value, fmt.Sprintf("must lie inside %s %s", KeyVpcCidr, vpc))
		return sub, false
	}
	return sub, ok
}
