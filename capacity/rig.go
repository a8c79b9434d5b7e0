// Package capacity measures what one NAT instance, running the lab's boot script, carries:
// connections held at once, new connections per second, throughput and short UDP flows, against
// plain routing on the same rig of network namespaces (package netns, shared with the twin).
package capacity

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"nat-instance/netns"
)

// A capacity rig is the smallest network in which one NAT instance carries a private host's
// traffic to internet hosts, with the NAT's boot command taken from the lab (the very script
// its user data installs). The NAT keeps one interface, as on AWS: a fabric namespace plays the
// VPC router and sends the private subnet's traffic to it and back from it. The same rig without
// the boot script, forwarding only, is the plain-routing baseline: both modes see the same
// namespaces, links and hops, so a difference between them is the NAT's own cost.
//
//	client (private host) -- fabric (VPC router) -- server (internet hosts)
//	                            |
//	                           nat (one interface, ens5)
type Rig struct {
	prefix string
	boot   netns.BootCommand
	mode   RigMode
}

// instanceInterface is the one network interface of the private host and of the NAT, named as
// on Amazon Linux 2023 on Nitro (the boot script finds it by the default route).
const instanceInterface = "ens5"

// available tells why this machine cannot build a rig, or nil when it can: root and the
// commands the rig's namespaces and the boot script need.
func available() error {
	return netns.Available("ip", "nft", "unshare", "mount", "sysctl")
}

// RigMode is what the NAT namespace does with forwarded traffic.
type RigMode string

const (
	// PlainRouting forwards without connection tracking or translation.
	PlainRouting RigMode = "plain routing"
	// NATBootScript runs the lab's NAT boot script.
	NATBootScript RigMode = "NAT (boot script)"
	// NATFastPath runs the boot script, then adds an nftables flowtable for established flows.
	NATFastPath RigMode = "NAT + flowtable"
)

// Rig addresses. The private side uses the lab's VPC; the internet side TEST-NET-2 (RFC 5737).
var (
	rigClient     = netip.MustParseAddr("10.40.2.10")
	rigClientGW   = netip.MustParseAddr("10.40.2.1")
	rigNAT        = netip.MustParseAddr("10.40.1.100")
	rigNATGW      = netip.MustParseAddr("10.40.1.1")
	rigFabricNet  = netip.MustParseAddr("169.254.254.1")
	rigServerLink = netip.MustParseAddr("169.254.254.2")
	rigVPC        = netip.MustParsePrefix("10.40.0.0/16")
	// RigServers are the internet hosts' addresses: several, because one destination address and
	// port leaves a NAT at most ~64,000 source ports.
	RigServers = []netip.Addr{
		netip.MustParseAddr("198.51.100.10"), netip.MustParseAddr("198.51.100.11"),
		netip.MustParseAddr("198.51.100.12"), netip.MustParseAddr("198.51.100.13"),
	}
)

// NewRig builds a capacity rig whose NAT runs boot (the lab's NAT boot command) in mode.
func NewRig(ctx context.Context, boot netns.BootCommand, mode RigMode) (*Rig, error) {
	if err := available(); err != nil {
		return nil, err
	}
	if err := netns.RemoveLeftoversOnce(ctx); err != nil {
		return nil, fmt.Errorf("capacity: %w", err)
	}
	r := &Rig{prefix: netns.NewPrefix(), boot: boot, mode: mode}
	if err := r.build(ctx); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	return r, nil
}

func (r *Rig) ns(role string) string { return r.prefix + role }

// Namespaces of the rig.
func (r *Rig) client() string { return r.ns("client") }
func (r *Rig) fabric() string { return r.ns("fabric") }
func (r *Rig) nat() string    { return r.ns("nat") }
func (r *Rig) server() string { return r.ns("server") }

func (r *Rig) all() []string { return []string{r.client(), r.fabric(), r.nat(), r.server()} }

func (r *Rig) build(ctx context.Context) error {
	for _, ns := range r.all() {
		if _, err := netns.Run(ctx, "ip", "netns", "add", ns); err != nil {
			return err
		}
	}
	fabric := r.fabric()
	for _, link := range [][3]string{{"c0", instanceInterface, r.client()}, {"n0", instanceInterface, r.nat()}, {"s0", "net0", r.server()}} {
		if _, err := netns.Run(ctx, "ip", "link", "add", link[0], "netns", fabric, "type", "veth", "peer", "name", link[1], "netns", link[2]); err != nil {
			return err
		}
	}
	steps := map[string][]string{
		r.client(): {
			"link set lo up", "addr add " + rigClient.String() + "/24 dev " + instanceInterface, "link set " + instanceInterface + " up",
			"route add default via " + rigClientGW.String(),
		},
		r.nat(): {
			"link set lo up", "addr add " + rigNAT.String() + "/24 dev " + instanceInterface, "link set " + instanceInterface + " up",
			"route add default via " + rigNATGW.String(),
		},
		r.server(): {
			"link set lo up", "addr add " + rigServerLink.String() + "/30 dev net0", "link set net0 up",
			"route add default via " + rigFabricNet.String(),
		},
		// The private subnet's traffic goes to the NAT (table 100), and what comes back from the
		// internet goes to the NAT too (table 200): the NAT sees both directions, in either mode.
		fabric: {
			"link set lo up",
			"addr add " + rigClientGW.String() + "/24 dev c0", "link set c0 up",
			"addr add " + rigNATGW.String() + "/24 dev n0", "link set n0 up",
			"addr add " + rigFabricNet.String() + "/30 dev s0", "link set s0 up",
			"route add default via " + rigNAT.String() + " dev n0 table 100",
			"rule add iif c0 lookup 100 pref 100",
			"route add " + rigVPC.String() + " via " + rigNAT.String() + " dev n0 table 200",
			"route add " + rigNAT.String() + " dev n0 table 200",
			"rule add iif s0 lookup 200 pref 200",
		},
	}
	for _, server := range RigServers {
		steps[r.server()] = append(steps[r.server()], "addr add "+server.String()+"/32 dev net0")
		steps[fabric] = append(steps[fabric], "route add "+server.String()+" via "+rigServerLink.String()+" dev s0")
	}
	for ns, lines := range steps {
		if err := netns.IPBatch(ctx, ns, lines...); err != nil {
			return err
		}
	}
	if err := netns.Sysctl(ctx, fabric, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
		"net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"); err != nil {
		return err
	}
	switch r.mode {
	case PlainRouting:
		return netns.Sysctl(ctx, r.nat(), "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf."+instanceInterface+".send_redirects=0")
	case NATBootScript, NATFastPath:
		if out, err := netns.RunBoot(ctx, r.nat(), &r.boot); err != nil {
			return fmt.Errorf("rig NAT boot script: %w: %s", err, out)
		}
		if r.mode == NATFastPath {
			if err := netns.LoadRuleset(ctx, r.nat(), FastPathRuleset); err != nil {
				return fmt.Errorf("%w: %v", ErrNoFlowtable, err)
			}
		}
		return nil
	}
	return fmt.Errorf("capacity: unknown rig mode %q", r.mode)
}

// FastPathRuleset adds the kernel's software flow offload for forwarded TCP and UDP flows once
// established: their later packets skip the forward and postrouting hooks (and nft rules), and
// their conntrack entries stay, marked [OFFLOAD].
const FastPathRuleset = `table ip nat_instance_fastpath {
	flowtable established_flows {
		hook ingress priority filter; devices = { ` + instanceInterface + ` };
	}
	chain forward_offload {
		type filter hook forward priority filter - 1; policy accept;
		ct state established meta l4proto { tcp, udp } flow add @established_flows
	}
}
`

// ErrNoFlowtable says this machine's kernel refused the fast path's flowtable (built without
// CONFIG_NF_FLOW_TABLE).
var ErrNoFlowtable = errors.New("the kernel refused an nftables flowtable (CONFIG_NF_FLOW_TABLE)")

// Close removes the rig's namespaces; it is safe to call more than once.
func (r *Rig) Close() error {
	var errs []error
	for _, ns := range r.all() {
		errs = append(errs, netns.Delete(context.Background(), ns))
	}
	return errors.Join(errs...)
}

// NATSysctl reads a kernel setting as the NAT's namespace sees it.
func (r *Rig) NATSysctl(ctx context.Context, key string) (string, error) {
	out, err := netns.Exec(ctx, r.nat(), "sysctl", "-n", key)
	return strings.TrimSpace(out), err
}

// ConntrackStats are the NAT namespace's connection-tracking counters.
type ConntrackStats struct {
	Count, Max                    int
	Drop, EarlyDrop, InsertFailed uint64
}

// Stats reads the NAT's table count, its limit and the drop counters of /proc/net/stat/nf_conntrack
// (one line per CPU, hex columns named by the header line).
func (r *Rig) Stats(ctx context.Context) (ConntrackStats, error) {
	var s ConntrackStats
	for key, dst := range map[string]*int{"net.netfilter.nf_conntrack_count": &s.Count, "net.netfilter.nf_conntrack_max": &s.Max} {
		v, err := r.NATSysctl(ctx, key)
		if err != nil {
			return s, err
		}
		if *dst, err = strconv.Atoi(v); err != nil {
			return s, fmt.Errorf("%s: %q: %w", key, v, err)
		}
	}
	out, err := netns.Exec(ctx, r.nat(), "cat", "/proc/net/stat/nf_conntrack")
	if err != nil {
		return s, err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	header := strings.Fields(lines[0])
	for _, line := range lines[1:] {
		for i, field := range strings.Fields(line) {
			if i >= len(header) {
				break
			}
			v, err := strconv.ParseUint(field, 16, 64)
			if err != nil {
				return s, fmt.Errorf("/proc/net/stat/nf_conntrack: %q: %w", field, err)
			}
			switch header[i] {
			case "drop":
				s.Drop += v
			case "early_drop":
				s.EarlyDrop += v
			case "insert_failed":
				s.InsertFailed += v
			}
		}
	}
	return s, nil
}

// OffloadedEntries counts the NAT's conntrack entries marked [OFFLOAD] (conntrack -L).
func (r *Rig) OffloadedEntries(ctx context.Context) (int, error) {
	out, err := netns.Exec(ctx, r.nat(), "conntrack", "-L")
	if err != nil {
		return 0, err
	}
	return strings.Count(out, "[OFFLOAD]"), nil
}
