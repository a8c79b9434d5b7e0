package settings

import (
	"encoding/binary"
	"net/netip"
)

// usableRange returns the first and last address AWS lets an instance use in subnet: the first
// four (network, router, DNS, reserved) and the last (broadcast) are AWS's.
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

// notForVPCs are the ranges AWS refuses as VPC CIDRs.
var notForVPCs = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// reservedRange returns the range of notForVPCs that vpc overlaps, or an invalid prefix.
func reservedRange(vpc netip.Prefix) netip.Prefix {
	for _, r := range notForVPCs {
		if vpc.IsValid() && r.Overlaps(vpc) {
			return r
		}
	}
	return netip.Prefix{}
}
