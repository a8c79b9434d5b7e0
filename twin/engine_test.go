package twin

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// handWritten is a small lab whose private group may send only TCP 443 and ICMP, while the NAT's
// group lets in TCP 80 from the VPC: the sender's egress alone must stop HTTP.
func handWritten(t *testing.T) Topology {
	t.Helper()
	script, err := os.ReadFile("../compute/nat-boot.sh")
	if err != nil {
		t.Fatal(err)
	}
	vpc := netip.MustParsePrefix("10.40.0.0/16")
	all := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	return Topology{
		VPC: vpc,
		Subnets: []Subnet{
			{Name: "public", CIDR: netip.MustParsePrefix("10.40.1.0/24"), Routes: []Route{{Destination: all[0], InternetGateway: true}}},
			{Name: "private", CIDR: netip.MustParsePrefix("10.40.2.0/24"), Routes: []Route{{Destination: all[0], ENI: "nat"}}},
		},
		Instances: []Instance{
			{Name: "nat", Subnet: "public", PrivateIP: netip.MustParseAddr("10.40.1.100"), SecurityGroups: []string{"nat"},
				ElasticIP: netip.MustParseAddr("203.0.113.10"), Boot: &BootCommand{Script: script, Args: []string{vpc.String()}}},
			{Name: "private-1", Subnet: "private", PrivateIP: netip.MustParseAddr("10.40.2.101"), SourceDestCheck: true, SecurityGroups: []string{"private"}},
			{Name: "private-2", Subnet: "private", PrivateIP: netip.MustParseAddr("10.40.2.102"), SourceDestCheck: true, SecurityGroups: []string{"private"}},
		},
		SecurityGroups: map[string]SecurityGroup{
			"nat": {
				Ingress: []Rule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []netip.Prefix{vpc}}, {Protocol: "icmp", CIDRs: []netip.Prefix{vpc}}},
				Egress:  []Rule{{Protocol: "-1", CIDRs: all}},
			},
			"private": {
				Ingress: []Rule{{Protocol: "icmp", CIDRs: []netip.Prefix{vpc}}},
				Egress:  []Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: all}, {Protocol: "icmp", CIDRs: all}},
			},
		},
	}
}

// Each interface judges by its own groups only: the private interface's egress allows TCP 443,
// never the NAT's TCP 80, and its ingress is its own group's (needs no root).
func TestEachInterfaceHasItsOwnGroups(t *testing.T) {
	tw := &Twin{topo: handWritten(t)}
	private := tw.eniRuleset(1)
	egress, ingress, _ := strings.Cut(private[strings.Index(private, "chain sg_egress"):], "chain sg_ingress")
	if !strings.Contains(egress, "tcp dport 443 accept") || strings.Contains(private, "dport 80") {
		t.Errorf("private-1's egress is not its own group's:\n%s", private)
	}
	if !strings.Contains(ingress, "ip saddr 10.40.0.0/16 ip protocol icmp accept") || strings.Contains(private, "notrack") {
		t.Errorf("private-1's ingress is not its own group's, or it leaves a flow untracked:\n%s", private)
	}
	if !strings.Contains(private, `iifname "i" ip saddr != 10.40.2.101 drop`) || strings.Contains(tw.eniRuleset(0), "saddr != ") {
		t.Errorf("source/dest check: on private-1's interface only:\n%s", private)
	}
}

// The sender's egress rules hold even when the receiver's ingress allows the flow, and the VPC
// router delivers between instances of one subnet.
func TestSecurityGroupsAtBothEndsAndSameSubnet(t *testing.T) {
	t.Parallel()
	requireNamespaces(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var log syncBuffer
	tw, err := Up(ctx, handWritten(t), Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tw.Close(); err != nil {
			t.Error(err)
		}
		t.Logf("transcript:\n%s", log.String())
	}()
	if _, err := tw.RunBoot(ctx, "nat"); err != nil {
		t.Fatal(err)
	}
	// The control: ICMP is allowed at both ends, so the path itself works.
	if err := tw.Ping(ctx, "private-1", InternetHost); err != nil {
		t.Errorf("private-1 cannot ping the internet host through the NAT: %v", err)
	}
	if seen, err := tw.CheckIP(ctx, "private-1"); err == nil {
		t.Errorf("private-1 reached the check-IP service on TCP 80 as %s, though its egress allows only TCP 443", seen)
	}
	if err := tw.Ping(ctx, "private-1", netip.MustParseAddr("10.40.2.102")); err != nil {
		t.Errorf("private-1 cannot ping private-2 in its own subnet: %v", err)
	}
}
