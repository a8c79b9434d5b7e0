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
