package twin

import (
	"net/netip"
	"slices"
	"testing"
)

// Which flows EC2 leaves untracked on an interface, from the union of its groups' rules (needs no
// root).
func TestUntrackedFlowsAreEC2s(t *testing.T) {
	anywhere := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	vpc := []netip.Prefix{netip.MustParsePrefix("10.40.0.0/16")}
	all := func(proto string, cidrs []netip.Prefix) Rule {
		return Rule{Protocol: proto, FromPort: 0, ToPort: 65535, CIDRs: cidrs}
	}
	for _, c := range []struct {
		name            string
		ingress, egress []Rule
		want            []string
	}{
		{"TCP and UDP from and to anywhere, all ports: untracked; ICMP tracked",
			[]Rule{all("tcp", anywhere), all("udp", anywhere), {Protocol: "icmp", CIDRs: anywhere}},
			[]Rule{all("tcp", anywhere), all("udp", anywhere), {Protocol: "icmp", CIDRs: anywhere}},
			[]string{"meta l4proto tcp notrack", "meta l4proto udp notrack"}},
		{"the guide's example: TCP 80 in from anywhere, everything out: HTTP untracked",
			[]Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: vpc}, {Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: anywhere}},
			[]Rule{{Protocol: "-1", CIDRs: anywhere}},
			[]string{`iifname "r" tcp dport 80 notrack`, `iifname "i" tcp sport 80 notrack`}},
		{"in from the VPC only: tracked", []Rule{all("tcp", vpc), all("udp", vpc)}, []Rule{all("tcp", anywhere), all("udp", anywhere)}, nil},
		{"out to some ports only: tracked", []Rule{all("udp", anywhere)}, []Rule{{Protocol: "udp", FromPort: 53, ToPort: 53, CIDRs: vpc}}, nil},
		{"all ports out, web in from anywhere: the web flows",
			[]Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: anywhere}}, []Rule{all("tcp", anywhere)},
			[]string{`iifname "r" tcp dport 443 notrack`, `iifname "i" tcp sport 443 notrack`}},
		{"all ports in, NTP out to anywhere: the instance's NTP flows",
			[]Rule{all("udp", anywhere)}, []Rule{{Protocol: "udp", FromPort: 123, ToPort: 123, CIDRs: anywhere}},
			[]string{`iifname "i" udp dport 123 notrack`, `iifname "r" udp sport 123 notrack`}},
	} {
		if got := untracked(c.ingress, c.egress); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
