package twin

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Expectation is what the program promises, read from its outputs and config rather than from
// the resources the twin is built from, so that a wrong resource shows as a failed check.
type Expectation struct {
	// EgressIP is, per private instance address, the Elastic IP the internet must see.
	EgressIP map[netip.Addr]netip.Addr
	// SSHAllowed is an internet address inside sshAllowedCidrs (invalid when there are none);
	// SSHDenied is one outside them.
	SSHAllowed, SSHDenied netip.Addr
}

// Clients returns the extra internet host addresses the checks probe from.
func (e Expectation) Clients() []netip.Addr {
	var out []netip.Addr
	for _, a := range []netip.Addr{e.SSHAllowed, e.SSHDenied} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// SSHProbeAddresses picks an internet address inside the first allowed CIDR and one outside all
// of them, from the documentation ranges where possible.
func SSHProbeAddresses(allowed []netip.Prefix) (inside, outside netip.Addr) {
	if len(allowed) > 0 {
		inside = allowed[0].Addr()
		if allowed[0].Bits() < 32 {
			inside = inside.Next()
		}
	}
	for _, candidate := range []string{"198.51.100.200", "203.0.113.200", "192.0.2.200", "100.64.0.200"} {
		a := netip.MustParseAddr(candidate)
		if !slices.ContainsFunc(allowed, func(p netip.Prefix) bool { return p.Contains(a) }) {
			return inside, a
		}
	}
	return inside, netip.Addr{}
}

// privateInstances are the instances without an Elastic IP: they reach the internet through a
// NAT instance or not at all.
func (t *Twin) privateInstances() []Instance {
	var out []Instance
	for _, inst := range t.topo.Instances {
		if !inst.ElasticIP.IsValid() {
			out = append(out, inst)
		}
	}
	return out
}

// natInstances are the instances with a boot command.
func (t *Twin) natInstances() []Instance { return t.topo.nats() }

// BootNATs runs every NAT instance's boot command, and boots the NAT pairs' members.
func (t *Twin) BootNATs(ctx context.Context) error {
	for _, nat := range t.natInstances() {
		if out, err := t.RunBoot(ctx, nat.Name); err != nil {
			return fmt.Errorf("%s boot script failed: %w: %s", nat.Name, err, out)
		}
	}
	return t.StartPairs(ctx)
}

// CheckEgress is the lab's main observation: from each private instance, ping reaches the
// internet host, the check-IP service sees the expected Elastic IP, on the NAT's interface
// tcpdump shows the packet arrive from the private address and leave from the NAT's own, and
// on the internet it comes from the Elastic IP.
func (t *Twin) CheckEgress(ctx context.Context, exp Expectation) error {
	var errs []error
	for _, p := range t.privateInstances() {
		want, ok := exp.EgressIP[p.PrivateIP]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: the program promises no egress address for %s", p.Name, p.PrivateIP))
			continue
		}
		if err := t.Ping(ctx, p.Name, InternetHost); err != nil {
			errs = append(errs, fmt.Errorf("%s cannot ping the internet host", p.Name))
		}
		var seen netip.Addr
		var err error
		syns, capErr := t.Capture(ctx, "", "tcp[tcpflags] & tcp-syn != 0 and dst port 80", 1, func() {
			seen, err = t.CheckIP(ctx, p.Name)
		})
		if capErr == nil {
			capErr = mssFits(syns)
		}
		if capErr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, capErr))
		}
		if err != nil {
			// The captures below would only wait for packets that do not come.
			errs = append(errs, fmt.Errorf("%s cannot reach the check-IP service: %w", p.Name, err))
			continue
		}
		if seen != want {
			errs = append(errs, fmt.Errorf("%s leaves as %s, want the Elastic IP %s", p.Name, seen, want))
		}
		nat := t.instanceByEIP(want)
		if nat == nil {
			errs = append(errs, fmt.Errorf("%s: no NAT instance holds the Elastic IP %s", p.Name, want))
			continue
		}
		filter := "icmp[icmptype] = icmp-echo and dst host " + InternetHost.String()
		var outside []string
		var outsideErr error
		atNAT, err := t.Capture(ctx, nat.Name, filter, 2, func() {
			outside, outsideErr = t.Capture(ctx, "", filter, 1, func() { _ = t.Ping(ctx, p.Name, InternetHost) })
		})
		if err = errors.Join(err, outsideErr); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, c := range []struct {
			where string
			lines []string
			from  netip.Addr
		}{
			{nat.Name + " (in)", atNAT, p.PrivateIP},
			{nat.Name + " (out)", atNAT, nat.PrivateIP},
			{"the internet", outside, want},
		} {
			seen := fmt.Sprintf("%s > %s: ICMP echo request", c.from, InternetHost)
			if !slices.ContainsFunc(c.lines, func(l string) bool { return strings.Contains(l, seen) }) {
				errs = append(errs, fmt.Errorf("tcpdump on %s did not show %q", c.where, seen))
			}
		}
	}
	return errors.Join(errs...)
}

// internetMSS is the largest TCP MSS a 1500-byte internet path carries.
const internetMSS = 1460

var mssOption = regexp.MustCompile(`mss (\d+)`)

// mssFits checks the SYN the internet host saw: a private instance offers its VPC MTU's MSS
// (8961), which must have been clamped on the way out, or large segments would be lost.
func mssFits(syns []string) error {
	if len(syns) == 0 {
		return errors.New("tcpdump on the internet host saw no SYN")
	}
	m := mssOption.FindStringSubmatch(syns[0])
	if m == nil {
		return fmt.Errorf("SYN without an MSS option: %s", syns[0])
	}
	if mss, _ := strconv.Atoi(m[1]); mss > internetMSS {
		return fmt.Errorf("SYN reached the internet with MSS %d, more than a 1500-byte path carries (%d)", mss, internetMSS)
	}
	return nil
}

// CheckNoEgress passes when no private instance reaches the internet: the lab's state before
// its two console steps.
func (t *Twin) CheckNoEgress(ctx context.Context) error {
	return forEachAtOnce(t.privateInstances(), func(p Instance) (errs []error) {
		if t.Ping(ctx, p.Name, InternetHost) == nil {
			errs = append(errs, fmt.Errorf("%s reaches the internet host", p.Name))
		}
		if seen, err := t.CheckIP(ctx, p.Name); err == nil {
			errs = append(errs, fmt.Errorf("%s reaches the check-IP service as %s", p.Name, seen))
		}
		return errs
	})
}

// forEachAtOnce runs check for every instance at the same time and joins their errors in the
// instances' order. A probe that must fail waits for its whole timeout: one instance after
// another, those waits would add up.
func forEachAtOnce(instances []Instance, check func(Instance) []error) error {
	results := make([][]error, len(instances))
	var wg sync.WaitGroup
	for i, inst := range instances {
		wg.Go(func() { results[i] = check(inst) })
	}
	wg.Wait()
	return errors.Join(slices.Concat(results...)...)
}

// CheckInbound: nothing from the internet reaches a private instance (ping, TCP 22, addressed
// to it directly); the NATs accept SSH from the allowed address only, and are SSH jump hosts
// to the private instances.
func (t *Twin) CheckInbound(ctx context.Context, exp Expectation) error {
	errs := []error{forEachAtOnce(t.privateInstances(), func(p Instance) (errs []error) {
		if t.Ping(ctx, "", p.PrivateIP) == nil {
			errs = append(errs, fmt.Errorf("the internet pings %s", p.Name))
		}
		if t.TCPConnect("", netip.Addr{}, p.PrivateIP, 22) == nil {
			errs = append(errs, fmt.Errorf("the internet reaches %s on TCP 22", p.Name))
		}
		for _, nat := range t.natInstances() {
			if err := t.TCPConnect(nat.Name, netip.Addr{}, p.PrivateIP, 22); err != nil {
				errs = append(errs, fmt.Errorf("%s cannot SSH to %s", nat.Name, p.Name))
			}
		}
		return errs
	})}
	for _, nat := range t.natInstances() {
		if exp.SSHAllowed.IsValid() {
			if err := t.TCPConnect("", exp.SSHAllowed, nat.ElasticIP, 22); err != nil {
				errs = append(errs, fmt.Errorf("%s refuses SSH from the allowed %s", nat.Name, exp.SSHAllowed))
			}
		}
		if t.TCPConnect("", exp.SSHDenied, nat.ElasticIP, 22) == nil {
			errs = append(errs, fmt.Errorf("%s accepts SSH from %s, outside sshAllowedCidrs", nat.Name, exp.SSHDenied))
		}
	}
	return errors.Join(errs...)
}

// CheckRulesOnce passes when the NAT's ruleset holds each rule exactly once.
func (t *Twin) CheckRulesOnce(ctx context.Context, nat string) error {
	out, err := t.Exec(ctx, nat, "nft", "list", "ruleset")
	if err != nil {
		return err
	}
	seen := map[string]int{}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line != "" && line != "}" {
			seen[line]++
		}
	}
	var errs []error
	for line, n := range seen {
		if n > 1 {
			errs = append(errs, fmt.Errorf("%s: %q appears %d times", nat, line, n))
		}
	}
	if seen["table ip nat_instance {"] != 1 || !strings.Contains(out, "masquerade") {
		errs = append(errs, fmt.Errorf("%s: no nat_instance table with a masquerade rule:\n%s", nat, out))
	}
	t.logf("%s nft list ruleset: %d distinct lines, each once: %v", nat, len(seen), len(errs) == 0)
	return errors.Join(errs...)
}

func (t *Twin) instanceByEIP(eip netip.Addr) *Instance {
	for i, inst := range t.topo.Instances {
		if inst.ElasticIP == eip {
			return &t.topo.Instances[i]
		}
	}
	return t.pairHolding(eip)
}

// NATs lists the names of the NAT instances (those with a boot command).
func (t *Twin) NATs() []string {
	var out []string
	for _, n := range t.natInstances() {
		out = append(out, n.Name)
	}
	return out
}
