package twin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"nat-instance/netns"
)

// Links between the fabric's namespaces use link-local addresses, which no VPC and no internet
// address can take.
var (
	routerToIGW   = netip.MustParseAddr("169.254.255.1")
	igwToRouter   = netip.MustParseAddr("169.254.255.2")
	igwToInternet = netip.MustParseAddr("169.254.254.1")
	internetToIGW = netip.MustParseAddr("169.254.254.2")
)

// InternetHost is the internet host's main address (TEST-NET-2, RFC 5737): it answers ping and
// serves the check-IP service on TCP 80.
var InternetHost = netip.MustParseAddr("198.51.100.10")

// vpcMTU is the MTU inside a VPC (jumbo frames); the internet side keeps 1500, as on AWS, so
// an unclamped TCP MSS shows on the internet host.
const vpcMTU = "9001"

// Interface is the name of every instance's network interface, as on Amazon Linux 2023 on Nitro.
const Interface = "ens5"

// Options name a twin and say where its transcript goes.
type Options struct {
	// Log receives one line per step and observation; nil discards them.
	Log io.Writer
	// InternetClients are extra addresses of the internet host, to probe from (e.g. one inside
	// and one outside sshAllowedCidrs).
	InternetClients []netip.Addr
	// AWSCallDelay is how long each call to the AWS stand-in of NAT pairs takes; 0 means
	// DefaultAWSCallDelay.
	AWSCallDelay time.Duration
	// AWSEffectDelay is how long after an EC2 call returns its effect reaches the network;
	// AWSDescribeLag how old the state a describe call shows is (ec2model.go). 0: the defaults.
	AWSEffectDelay, AWSDescribeLag time.Duration
	// Takeovers is how many takeovers each NAT pair check with figures runs (0: one).
	Takeovers int
}

func (o Options) takeovers() int { return max(o.Takeovers, 1) }

func (o Options) awsCallDelay() time.Duration {
	if o.AWSCallDelay > 0 {
		return o.AWSCallDelay
	}
	return DefaultAWSCallDelay
}

// Twin is a running copy of a Topology in network namespaces.
type Twin struct {
	topo   Topology
	opts   Options
	prefix string

	mu        sync.Mutex
	listeners []net.Listener
	closed    bool

	// NAT pairs: the AWS stand-in's EC2 (ec2model.go), and the running members (pair.go).
	ec2     ec2State
	members map[string]*runningMember
}

// Up builds the topology in fresh namespaces. On failure everything built so far is removed.
// The first Up of a process also removes what crashed runs left behind.
func Up(ctx context.Context, topo Topology, opts Options) (*Twin, error) {
	if err := readyToBuild(ctx); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	t := &Twin{topo: topo, opts: opts, prefix: netns.NewPrefix()}
	t.initEC2()
	t.members = map[string]*runningMember{}
	if err := t.build(ctx); err != nil {
		return nil, errors.Join(err, t.Close())
	}
	return t, nil
}

// ipStep is one `ip -n ns args...` command.
type ipStep struct {
	ns   string
	args []string
}

// ipAll runs steps in order, each run of consecutive steps in one namespace as one `ip -batch`.
func ipAll(ctx context.Context, steps []ipStep) error {
	for len(steps) > 0 {
		ns, n := steps[0].ns, 1
		for n < len(steps) && steps[n].ns == ns {
			n++
		}
		lines := make([]string, n)
		for i, s := range steps[:n] {
			lines[i] = strings.Join(s.args, " ")
		}
		if err := ipBatch(ctx, ns, lines...); err != nil {
			return err
		}
		steps = steps[n:]
	}
	return nil
}

func (t *Twin) build(ctx context.Context) error {
	for _, ns := range t.fabric() {
		if _, err := run(ctx, "ip", "netns", "add", ns); err != nil {
			return err
		}
		if err := ipIn(ctx, ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	if err := t.buildInternet(ctx); err != nil {
		return err
	}
	if err := t.buildRouter(ctx); err != nil {
		return err
	}
	for i := range t.topo.Instances {
		if err := t.buildInstance(ctx, i); err != nil {
			return err
		}
	}
	if err := ipAll(ctx, t.subnetRoutes("")); err != nil {
		return err
	}
	return t.loadFirewalls(ctx)
}

// Namespace names.
func (t *Twin) router() string   { return t.prefix + "vpc" }
func (t *Twin) igw() string      { return t.prefix + "igw" }
func (t *Twin) internet() string { return t.prefix + "internet" }

// Namespace returns the namespace of an instance.
func (t *Twin) Namespace(instance string) string { return t.prefix + instance }

func (t *Twin) fabric() []string { return []string{t.router(), t.igw(), t.internet()} }

// routerPort is the router's side of an instance's link.
func routerPort(i int) string { return fmt.Sprintf("r%d", i) }

// buildInternet links the internet host to the internet gateway and routes the Elastic IPs
// back through it.
func (t *Twin) buildInternet(ctx context.Context) error {
	igw, inet := t.igw(), t.internet()
	if _, err := run(ctx, "ip", "link", "add", "to-net", "netns", igw, "type", "veth", "peer", "name", "net0", "netns", inet); err != nil {
		return err
	}
	steps := []ipStep{
		{igw, []string{"addr", "add", igwToInternet.String() + "/30", "dev", "to-net"}},
		{igw, []string{"link", "set", "to-net", "up"}},
		{inet, []string{"addr", "add", internetToIGW.String() + "/30", "dev", "net0"}},
		{inet, []string{"addr", "add", InternetHost.String() + "/32", "dev", "net0"}},
		{inet, []string{"link", "set", "net0", "up"}},
		// Everything not on the internet host goes to the gateway, private addresses too: it
		// is the gateway's job to let in only what is addressed to an Elastic IP.
		{inet, []string{"route", "add", "default", "via", igwToInternet.String(), "src", InternetHost.String()}},
		{igw, []string{"route", "add", "default", "via", internetToIGW.String()}},
	}
	for _, c := range t.opts.InternetClients {
		steps = append(steps, ipStep{inet, []string{"addr", "add", c.String() + "/32", "dev", "net0"}})
	}
	if err := ipAll(ctx, steps); err != nil {
		return err
	}
	if err := sysctlIn(ctx, igw, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"); err != nil {
		return err
	}
	if err := t.listen(inet, netip.AddrPortFrom(InternetHost, 80), serveCheckIP); err != nil {
		return err
	}
	fmt.Fprintf(t.opts.Log, "internet host %s (check-IP service on :80), internet gateway with %d Elastic IP(s)\n",
		InternetHost, len(t.elasticIPs()))
	return nil
}

// buildRouter creates the VPC router, its link to the internet gateway and the VPC's local
// route. Each subnet gets a routing table of its own, which rules pick by the port a packet
// came in on.
func (t *Twin) buildRouter(ctx context.Context) error {
	vpc, igw := t.router(), t.igw()
	if _, err := run(ctx, "ip", "link", "add", "to-igw", "netns", vpc, "type", "veth", "peer", "name", "to-vpc", "netns", igw); err != nil {
		return err
	}
	err := ipAll(ctx, []ipStep{
		{vpc, []string{"addr", "add", routerToIGW.String() + "/30", "dev", "to-igw"}},
		{vpc, []string{"link", "set", "to-igw", "mtu", vpcMTU, "up"}},
		{igw, []string{"addr", "add", igwToRouter.String() + "/30", "dev", "to-vpc"}},
		{igw, []string{"link", "set", "to-vpc", "mtu", vpcMTU, "up"}},
		{igw, []string{"route", "add", t.topo.VPC.String(), "via", routerToIGW.String()}},
		// The VPC's local route: deliver to instances; no other address of the VPC exists.
		{vpc, []string{"route", "add", "unreachable", t.topo.VPC.String(), "table", localTable}},
		{vpc, []string{"rule", "add", "iif", "to-igw", "lookup", localTable, "pref", "100"}},
		{vpc, []string{"rule", "add", "iif", "to-igw", "unreachable", "pref", "300"}},
	})
	if err != nil {
		return err
	}
	return sysctlIn(ctx, vpc, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
		"net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0")
}

// subnetRoutes lists the commands that fill each subnet's table: all routes, or with via set
// only those through that instance (to restore them when its link comes back). A subnet
// without a default route gets "unreachable": a destination without a route goes nowhere, as in
// AWS, not to the router's own tables.
func (t *Twin) subnetRoutes(via string) []ipStep {
	var steps []ipStep
	for i, subnet := range t.topo.Subnets {
		table := subnetTable(i)
		for _, r := range subnet.Routes {
			if via != "" && r.ENI != via {
				continue
			}
			args := []string{"route", "add", r.Destination.String()}
			if r.InternetGateway {
				args = append(args, "via", igwToRouter.String(), "dev", "to-igw")
			} else {
				k := t.instanceIndex(r.ENI)
				args = append(args, "via", t.topo.Instances[k].PrivateIP.String(), "dev", routerPort(k), "onlink")
			}
			steps = append(steps, ipStep{t.router(), append(args, "table", table)})
		}
		if via == "" && !slices.ContainsFunc(subnet.Routes, func(r Route) bool { return r.Destination.Bits() == 0 }) {
			steps = append(steps, ipStep{t.router(), []string{"route", "add", "unreachable", "default", "table", table}})
		}
	}
	return steps
}

// localTable holds the VPC's local route: one /32 per instance, then unreachable.
const localTable = "10"

func subnetTable(i int) string { return fmt.Sprint(100 + i) }

func (t *Twin) instanceIndex(name string) int {
	return slices.IndexFunc(t.topo.Instances, func(i Instance) bool { return i.Name == name })
}

func (t *Twin) subnetIndex(name string) int {
	return slices.IndexFunc(t.topo.Subnets, func(s Subnet) bool { return s.Name == name })
}

// buildInstance creates an instance's namespace and links it to the router, and adds the
// router's rules that pick the instance's subnet table.
func (t *Twin) buildInstance(ctx context.Context, i int) error {
	if err := t.linkInstance(ctx, i); err != nil {
		return err
	}
	port, s := routerPort(i), t.subnetIndex(t.topo.Instances[i].Subnet)
	return ipAll(ctx, []ipStep{
		{t.router(), []string{"rule", "add", "iif", port, "lookup", localTable, "pref", "100"}},
		{t.router(), []string{"rule", "add", "iif", port, "lookup", subnetTable(s), "pref", "200"}},
		{t.router(), []string{"rule", "add", "iif", port, "unreachable", "pref", "300"}},
	})
}

// linkInstance creates an instance's namespace (a fresh kernel state) with its address in its
// subnet, a default route via the subnet's router address (subnet base + 1, as in AWS), its
// network interface between it and the router (eni.go), the router's side of the link, and a
// stand-in sshd on TCP 22.
func (t *Twin) linkInstance(ctx context.Context, i int) error {
	inst := t.topo.Instances[i]
	s := t.subnetIndex(inst.Subnet)
	if s < 0 {
		return fmt.Errorf("twin: instance %s is in unknown subnet %s", inst.Name, inst.Subnet)
	}
	subnet := t.topo.Subnets[s]
	gateway := subnet.CIDR.Addr().Next()
	ns, vpc, port := t.Namespace(inst.Name), t.router(), routerPort(i)
	if _, err := run(ctx, "ip", "netns", "add", ns); err != nil {
		return err
	}
	if err := t.linkENI(ctx, i, gateway); err != nil {
		return err
	}
	err := ipAll(ctx, []ipStep{
		{ns, []string{"link", "set", "lo", "up"}},
		{ns, []string{"addr", "add", netip.PrefixFrom(inst.PrivateIP, subnet.CIDR.Bits()).String(), "dev", Interface}},
		{ns, []string{"link", "set", Interface, "mtu", vpcMTU, "up"}},
		{ns, []string{"route", "add", "default", "via", gateway.String()}},
		{vpc, []string{"addr", "add", gateway.String() + "/32", "dev", port}},
		{vpc, []string{"link", "set", port, "mtu", vpcMTU, "up"}},
		{vpc, []string{"route", "add", inst.PrivateIP.String() + "/32", "dev", port, "table", localTable}},
	})
	if err != nil {
		return err
	}
	if err := t.listen(ns, netip.AddrPortFrom(inst.PrivateIP, 22), serveSSH); err != nil {
		return err
	}
	eip := "no Elastic IP"
	if inst.ElasticIP.IsValid() {
		eip = "Elastic IP " + inst.ElasticIP.String()
	}
	fmt.Fprintf(t.opts.Log, "instance %s: %s in %s (%s), source/dest check %s, groups %v, %s\n",
		inst.Name, inst.PrivateIP, subnet.Name, subnet.CIDR, onOff(inst.SourceDestCheck), inst.SecurityGroups, eip)
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (t *Twin) elasticIPs() map[netip.Addr]netip.Addr {
	out := map[netip.Addr]netip.Addr{} // private -> public
	for _, inst := range t.topo.Instances {
		if inst.ElasticIP.IsValid() {
			out[inst.PrivateIP] = inst.ElasticIP
		}
	}
	// A pair's floating Elastic IP is translated only where a member associated it.
	for _, p := range t.topo.Pairs {
		if a, ok := t.ec2.landed.associations[p.AllocationID]; ok {
			out[a.private] = p.ElasticIP
		}
	}
	return out
}

// Close removes every namespace of the twin; it is safe to call more than once.
func (t *Twin) Close() error {
	t.mu.Lock()
	listeners := t.listeners
	t.listeners, t.closed = nil, true
	t.mu.Unlock()
	for _, l := range listeners {
		l.Close()
	}
	t.stopMembers()
	var errs []error
	names := t.fabric()
	for _, inst := range t.topo.Instances {
		names = append(names, t.Namespace(inst.Name))
	}
	for _, ns := range names {
		if _, err := os.Stat("/run/netns/" + ns); err != nil {
			continue
		}
		if err := killProcessesIn(context.Background(), ns); err != nil {
			errs = append(errs, err)
		}
		if _, err := run(context.Background(), "ip", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, t.removeENIs())...)
}
