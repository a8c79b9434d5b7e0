package twin

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"nat-instance/natpair"
)

// Pair is a NAT pair (natHighAvailability): two member instances that hand the NAT's identity
// (floating address, Elastic IP, private default routes) to each other. It is read from the
// members' user data, the settings file their scripts read.
type Pair struct {
	Name         string    // the pair's, its metrics' dimension
	Members      [2]string // instance names
	Region       string
	FloatingIP   netip.Addr
	AllocationID string
	ElasticIP    netip.Addr // the floating Elastic IP: translated only while associated
}

// pairSettings reads a member's settings file (KEY=VALUE lines, as the user data writes it).
func pairSettings(files map[string]string) (map[string]string, error) {
	text, ok := files[natpair.EnvPath]
	if !ok {
		return nil, fmt.Errorf("no %s in the member's user data", natpair.EnvPath)
	}
	out := map[string]string{}
	for line := range strings.Lines(text) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok {
			out[key] = strings.Trim(value, `"`)
		}
	}
	return out, nil
}

// pairsOf groups the members of a topology into pairs by the Elastic IP allocation they share;
// publicIPs maps allocation ids to addresses.
func pairsOf(instances []Instance, publicIPs map[string]netip.Addr) ([]Pair, error) {
	var pairs []Pair
	index := map[string]int{}
	for _, inst := range instances {
		if inst.PairFiles == nil {
			continue
		}
		s, err := pairSettings(inst.PairFiles)
		if err != nil {
			return nil, fmt.Errorf("twin: member %s: %w", inst.Name, err)
		}
		i, seen := index[s["NAT_ALLOCATION_ID"]]
		if !seen {
			floating, err := netip.ParseAddr(s["NAT_FLOATING_IP"])
			if err != nil {
				return nil, fmt.Errorf("twin: member %s: floating address: %w", inst.Name, err)
			}
			index[s["NAT_ALLOCATION_ID"]] = len(pairs)
			pairs = append(pairs, Pair{Name: s["NAT_PAIR_NAME"], Members: [2]string{inst.Name}, Region: s["NAT_REGION"], FloatingIP: floating,
				AllocationID: s["NAT_ALLOCATION_ID"], ElasticIP: publicIPs[s["NAT_ALLOCATION_ID"]]})
			continue
		}
		if pairs[i].Members[1] != "" {
			return nil, fmt.Errorf("twin: more than two members share allocation %s", s["NAT_ALLOCATION_ID"])
		}
		pairs[i].Members[1] = inst.Name
	}
	for _, p := range pairs {
		if p.Members[1] == "" || !p.ElasticIP.IsValid() {
			return nil, fmt.Errorf("twin: pair of %s: lone member or unknown Elastic IP allocation %s", p.Members[0], p.AllocationID)
		}
	}
	return pairs, nil
}

func (t *Twin) pairOf(member string) *Pair {
	for i, p := range t.topo.Pairs {
		if p.Members[0] == member || p.Members[1] == member {
			return &t.topo.Pairs[i]
		}
	}
	return nil
}

// memberStart boots a member: see the script.
//
//go:embed member-start.sh
var memberStart string

// runningMember is a member's boot process (its anchor) and its EC2 stand-in endpoint.
type runningMember struct {
	anchor *exec.Cmd
	api    net.Listener
	dir    string
	log    *os.File
}

// StartPairs boots every member of every pair not running yet, then waits until each pair's
// identity is whole on one member.
func (t *Twin) StartPairs(ctx context.Context) error {
	for _, p := range t.topo.Pairs {
		for _, m := range p.Members {
			t.mu.Lock()
			_, running := t.members[m]
			t.mu.Unlock()
			if running {
				continue
			}
			if err := t.StartMember(ctx, m); err != nil {
				return err
			}
		}
	}
	// Both members start as BACKUP; on a loaded machine both may time out before they hear
	// each other and both take the identity, until the higher priority takes it back. A check
	// starts only once that is over.
	for _, p := range t.topo.Pairs {
		if _, err := t.waitSettled(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// StartMember boots a member in its namespace with the files of its user data.
func (t *Twin) StartMember(ctx context.Context, name string) error {
	k := t.instanceIndex(name)
	if k < 0 || t.topo.Instances[k].PairFiles == nil {
		return fmt.Errorf("twin: %s is not a pair member", name)
	}
	for _, daemon := range []string{"keepalived", "conntrackd"} {
		if _, err := exec.LookPath(daemon); err != nil {
			return fmt.Errorf("twin: NAT pair members need %s (Debian packages keepalived, conntrackd, conntrack)", daemon)
		}
	}
	dir, err := os.MkdirTemp("", "natlab-member-")
	if err != nil {
		return err
	}
	m := &runningMember{dir: dir}
	files := map[string][]byte{"/usr/local/bin/aws": awsStandIn, "/usr/local/bin/logger": loggerStandIn}
	for path, content := range t.topo.Instances[k].PairFiles {
		files[path] = []byte(content)
	}
	for path, content := range files {
		full := filepath.Join(dir, "root", path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.Contains(path, "/bin/") || strings.Contains(path, "/sbin/") {
			mode = 0o755
		}
		if err := os.WriteFile(full, content, mode); err != nil {
			return err
		}
	}
	if m.log, err = os.Create(filepath.Join(dir, "member.log")); err != nil {
		return err
	}
	ns := t.Namespace(name)
	if err := inNamespace(ns, func() (err error) {
		m.api, err = net.Listen("tcp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), awsPort).String())
		return err
	}); err != nil {
		return err
	}
	go t.serveAWS(m.api, name)
	// A PID namespace of its own, whose first process dies with this one (--kill-child): when it
	// dies the kernel ends every process of the member, daemons included, whatever happens here.
	m.anchor = exec.Command("ip", "netns", "exec", ns, "unshare", "--mount", "--propagation", "private",
		"--pid", "--fork", "--kill-child", "--mount-proc",
		"bash", "-c", memberStart, "member-start", filepath.Join(dir, "root"))
	m.anchor.Stdout, m.anchor.Stderr = m.log, m.log
	m.anchor.SysProcAttr = diesWithUs()
	t.mu.Lock()
	t.members[name] = m
	t.mu.Unlock()
	if err := m.anchor.Start(); err != nil {
		return err
	}
	t.logf("%s boots: nat-pair-setup, conntrackd, keepalived (files from its user data)", name)
	return nil
}

// MemberLog returns what a member's boot, keepalived and scripts printed.
func (t *Twin) MemberLog(name string) string {
	t.mu.Lock()
	m := t.members[name]
	t.mu.Unlock()
	if m == nil {
		return ""
	}
	data, _ := os.ReadFile(m.log.Name())
	return string(data)
}

// InMember runs a command in a member's namespaces (network and mount: its own files and
// conntrackd socket).
func (t *Twin) InMember(ctx context.Context, name string, args ...string) (string, error) {
	t.mu.Lock()
	m := t.members[name]
	t.mu.Unlock()
	if m == nil || m.anchor.Process == nil {
		return "", fmt.Errorf("twin: member %s is not running", name)
	}
	return run(ctx, "nsenter", append([]string{"-t", strconv.Itoa(m.anchor.Process.Pid), "-m", "-n"}, args...)...)
}

// KillMember ends a member abruptly, like a terminated instance: every process in its
// namespace is killed, then its link and namespace go.
func (t *Twin) KillMember(ctx context.Context, name string) error {
	k := t.instanceIndex(name)
	t.mu.Lock()
	m := t.members[name]
	delete(t.members, name)
	t.mu.Unlock()
	if k < 0 || m == nil {
		return fmt.Errorf("twin: member %s is not running", name)
	}
	err := killProcessesIn(ctx, t.Namespace(name))
	m.stop()
	t.logf("%s killed: every process of the member, then its link and namespace", name)
	return errors.Join(err,
		ipIn(ctx, t.router(), "link", "delete", routerPort(k)),
		func() error { _, err := run(ctx, "ip", "netns", "delete", t.Namespace(name)); return err }())
}

func (m *runningMember) stop() {
	m.api.Close()
	if m.anchor.Process != nil {
		_ = m.anchor.Process.Kill()
		_ = m.anchor.Wait()
	}
	m.log.Close()
	os.RemoveAll(m.dir)
}

// ReviveMember brings a killed member back as a fresh instance on the same interface: a new
// namespace, what EC2 still routes to it, and its boot. (The router's rules for its port
// outlive the link.)
func (t *Twin) ReviveMember(ctx context.Context, name string) error {
	k := t.instanceIndex(name)
	if err := t.linkInstance(ctx, k); err != nil {
		return err
	}
	t.ec2.mu.Lock()
	var errs []error
	for table, target := range t.ec2.landed.routeTargets {
		if target == name {
			errs = append(errs, t.pointDefaultRoutes(ctx, table, k))
		}
	}
	if p := t.pairOf(name); p != nil && t.ec2.landed.secondary[p.FloatingIP] == name {
		errs = append(errs, t.deliverFloating(ctx, p.FloatingIP, k))
	}
	t.ec2.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return t.StartMember(ctx, name)
}

// Owner is who holds a pair's identity in the network. It is whole when the floating address,
// the Elastic IP's association and every default route the pair serves name the same member,
// every change reached the network and no change of the pair's members is being answered (the
// takeover's calls are done).
func (t *Twin) Owner(p Pair) (string, bool) {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	landed := t.ec2.landed
	owner := landed.secondary[p.FloatingIP]
	if owner == "" || landed.associations[p.AllocationID] != (association{p.FloatingIP, owner}) || !t.settled(p) {
		return owner, false
	}
	for _, target := range landed.routeTargets {
		if (target == p.Members[0] || target == p.Members[1]) && target != owner {
			return owner, false
		}
	}
	return owner, true
}

// WaitOwner waits until a pair's identity is whole on one member (on want, unless want is ""),
// at most limit.
func (t *Twin) WaitOwner(ctx context.Context, p Pair, want string, limit time.Duration) (string, error) {
	var owner string
	err := poll(ctx, limit, func() bool {
		var whole bool
		owner, whole = t.Owner(p)
		return whole && (want == "" || owner == want)
	})
	if err != nil {
		return owner, fmt.Errorf("pair %s/%s: identity not whole on %q within %v (floating address with %q): %w",
			p.Members[0], p.Members[1], want, limit, owner, err)
	}
	return owner, nil
}

// poll checks cond every 50 ms until it holds, at most limit. A cond that starts a process
// polls with pollEvery and a longer interval: a machine where a process start costs several
// milliseconds pays for every poll of every twin at once.
func poll(ctx context.Context, limit time.Duration, cond func() bool) error {
	return pollEvery(ctx, limit, 50*time.Millisecond, cond)
}

// processPoll is the interval of polls that start a process: a quarter of VRRP's advert
// interval (keepalived.conf), fine enough for events that keepalived paces in whole seconds.
const processPoll = 250 * time.Millisecond

func pollEvery(ctx context.Context, limit, every time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	return nil
}

// stopMembers ends every member still running (the twin is closing).
func (t *Twin) stopMembers() {
	t.mu.Lock()
	members := t.members
	t.members = nil
	t.mu.Unlock()
	for name, m := range members {
		_ = killProcessesIn(context.Background(), t.Namespace(name))
		m.stop()
	}
}

// processesNamed lists the pids of a member's processes whose command is name.
func (t *Twin) processesNamed(ctx context.Context, member, name string) ([]int, error) {
	out, err := run(ctx, "ip", "netns", "pids", t.Namespace(member))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, field := range strings.Fields(out) {
		pid, _ := strconv.Atoi(field)
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// pairHolding is, for a pair's Elastic IP, its active member as the NAT seen from outside: the
// member's interface, translating to the floating address. Nil for other addresses.
func (t *Twin) pairHolding(eip netip.Addr) *Instance {
	for _, p := range t.topo.Pairs {
		if owner, _ := t.Owner(p); p.ElasticIP == eip && owner != "" {
			inst := t.topo.Instances[t.instanceIndex(owner)]
			inst.PrivateIP = p.FloatingIP
			return &inst
		}
	}
	return nil
}

// servedBy lists the private instances whose subnet's default route the program pointed at one
// of p's members.
func (t *Twin) servedBy(p Pair) []Instance {
	var out []Instance
	for _, inst := range t.privateInstances() {
		for _, r := range t.topo.Subnets[t.subnetIndex(inst.Subnet)].Routes {
			if r.Destination.Bits() == 0 && (r.ENI == p.Members[0] || r.ENI == p.Members[1]) {
				out = append(out, inst)
			}
		}
	}
	return out
}
