package settings

import (
	"fmt"
	"slices"
	"strings"

	"nat-instance/natpair"
)

// pairRoll checks natPairRoll: members of this stack's NAT pairs, at most one per pair, so that
// no update takes both members of a pair down. names are the NAT names in NAT order.
func (p *Problems) pairRoll(s *Settings, raw Raw) {
	if len(raw.NatPairRoll) == 0 {
		return
	}
	if !raw.NatHighAvailability {
		p.add(KeyNatPairRoll, strings.Join(raw.NatPairRoll, ", "),
			fmt.Sprintf("names NAT pair members but %s is false; leave %s unset", KeyNatHighAvailability, KeyNatPairRoll))
		return
	}
	var members []string
	for _, zone := range s.NatZones() {
		for m := range natpair.Members {
			members = append(members, natpair.MemberName(NatName(zone), m))
		}
	}
	for i, name := range raw.NatPairRoll {
		pos := slices.Index(members, name)
		switch {
		case pos < 0:
			p.add(KeyNatPairRoll, name, "must be a member of this stack's NAT pairs: "+strings.Join(members, ", "))
		case slices.Index(raw.NatPairRoll, name) != i:
			p.add(KeyNatPairRoll, name, "is listed twice")
		case slices.Contains(raw.NatPairRoll[:i], members[pos^1]):
			p.add(KeyNatPairRoll, name, fmt.Sprintf("and %s are the two members of one pair: roll one at a time, so that the other one carries the NAT", members[pos^1]))
		default:
			s.NatPairRoll = append(s.NatPairRoll, name)
		}
	}
}

// NatName keeps the lab's name for the first zone's NAT, so that adding zones to a stack does
// not replace it.
func NatName(zone int) string {
	if zone == 0 {
		return "nat-instance"
	}
	return fmt.Sprintf("nat-instance-%d", zone+1)
}
