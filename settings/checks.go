package settings

import (
	"fmt"
	"net/netip"
)

// The checks below serve the stack configuration and the component package's inputs alike.
// Each says what is allowed when the value is not, and "" when it is.

// ParsePrefix parses an IPv4 CIDR with a prefix length from minBits to maxBits and no host bits.
func ParsePrefix(value string, minBits, maxBits int) (netip.Prefix, string) {
	prefix, err := netip.ParsePrefix(value)
	switch {
	case err != nil || !prefix.Addr().Is4():
		return netip.Prefix{}, "must be an IPv4 CIDR such as 10.40.0.0/16"
	case prefix.Bits() < minBits || prefix.Bits() > maxBits:
		return netip.Prefix{}, fmt.Sprintf("prefix length must be between /%d and /%d", minBits, maxBits)
	case prefix.Masked() != prefix:
		return netip.Prefix{}, fmt.Sprintf("has host bits set; did you mean %s?", prefix.Masked())
	}
	return prefix, ""
}

// CheckInstanceType accepts the shape of an EC2 instance type, family.size.
func CheckInstanceType(value string) string {
	if !instanceTypePattern.MatchString(value) {
		return "must be an EC2 instance type such as t4g.nano or t3.micro"
	}
	return ""
}

// CheckKeyName accepts the name of an EC2 key pair, or "" for none.
func CheckKeyName(value string) string {
	if value != "" && !keyNamePattern.MatchString(value) {
		return "must be the name of an existing EC2 key pair (printable ASCII, at most 255 characters), or unset"
	}
	return ""
}

// CheckHostIP accepts an instance address usable in the subnet: inside it, not one of the first
// four addresses AWS reserves (network, router, DNS, future use), not the broadcast address, and
// not already in seen (address to what uses it; the caller records it there). An invalid subnet (reported on its own) checks only the address's form.
func CheckHostIP(value, subnetKey string, subnet netip.Prefix, seen map[netip.Addr]string) (netip.Addr, string) {
	addr, err := netip.ParseAddr(value)
	if err != nil || !addr.Is4() {
		return netip.Addr{}, "must be an IPv4 address such as 10.40.2.101"
	}
	if !subnet.IsValid() {
		return addr, ""
	}
	first, last := usableRange(subnet)
	switch {
	case !subnet.Contains(addr):
		return addr, fmt.Sprintf("must lie inside %s %s", subnetKey, subnet)
	case addr.Less(first) || last.Less(addr):
		return addr, fmt.Sprintf("is reserved by AWS in %s; use %s to %s", subnet, first, last)
	case seen[addr] != "":
		return addr, fmt.Sprintf("is already used by %s; every instance needs its own address", seen[addr])
	}
	return addr, ""
}
