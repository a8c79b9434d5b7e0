package settings

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Config keys of NAT pairs, as declared in Pulumi.yaml.
const (
	KeyNatHighAvailability = "natHighAvailability"
	KeyNatMemberIPs        = "natMemberIps"
)

// readNatPair reads the NAT pair keys into raw.
func readNatPair(get lookup, raw *Raw, p *Problems) {
	if v, ok := get(KeyNatHighAvailability); ok {
		on, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			p.add(KeyNatHighAvailability, v, "must be true (a pair of member instances per NAT) or false (one NAT instance)")
		}
		raw.NatHighAvailability = on
	}
}

// natMembers fills the two member addresses of each NAT when natHighAvailability is on: given
// in NAT order (natMemberIps, two per NAT), or carved as the two addresses right after the NAT
// address (10.40.1.101 and 10.40.1.102 in the lab layout). Every member address must be usable
// in the NAT's public subnet and used once, the NAT's floating address included.
func (p *Problems) natMembers(s *Settings, raw Raw) {
	if !raw.NatHighAvailability {
		if len(raw.NatMemberIPs) > 0 {
			p.add(KeyNatMemberIPs, strings.Join(raw.NatMemberIPs, ", "),
				fmt.Sprintf("gives NAT pair member addresses but %s is false; set it to true, or leave %s unset", KeyNatHighAvailability, KeyNatMemberIPs))
		}
		return
	}
	nats := s.NatZones()
	if len(raw.NatMemberIPs) > 0 && len(raw.NatMemberIPs) != 2*len(nats) {
		p.add(KeyNatMemberIPs, strings.Join(raw.NatMemberIPs, ", "),
			fmt.Sprintf("has %d entries but the stack has %d NAT(s): give two per NAT, in NAT order [nat1-a, nat1-b, nat2-a, ...], or leave it unset to carve them", len(raw.NatMemberIPs), len(nats)))
		return
	}
	seen := map[netip.Addr]string{}
	for _, zone := range nats {
		seen[s.Zones[zone].NatPrivateIP] = "a NAT's floating address (" + KeyNatPrivateIP + ")"
	}
	for n, zone := range nats {
		z := &s.Zones[zone]
		subnetKey := "the public subnet"
		if len(s.Zones) > 1 {
			subnetKey = fmt.Sprintf("the public subnet of zone %d", zone+1)
		}
		for m := range z.NatMemberIPs {
			if len(raw.NatMemberIPs) > 0 {
				if addr, ok := p.hostIP(KeyNatMemberIPs, raw.NatMemberIPs[2*n+m], subnetKey, z.PublicSubnet, seen); ok {
					z.NatMemberIPs[m] = addr
				}
				continue
			}
			if !z.NatPrivateIP.IsValid() || !z.PublicSubnet.IsValid() {
				continue // reported already
			}
			carved := fromUint32(toUint32(z.NatPrivateIP) + uint32(m+1))
			if first, last := usableRange(z.PublicSubnet); carved.Less(first) || last.Less(carved) {
				p.add(KeyNatMemberIPs, carved.String(), fmt.Sprintf("is carved right after the NAT address %s but is not usable in %s %s (%s to %s); give %s, or a lower NAT address",
					z.NatPrivateIP, subnetKey, z.PublicSubnet, first, last, KeyNatMemberIPs))
				continue
			}
			z.NatMemberIPs[m] = carved
		}
	}
}
