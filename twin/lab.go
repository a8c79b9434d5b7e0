package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/mockgraph"
)

// Lab is what a stack's twin is built from and checked against.
type Lab struct {
	Topology    Topology
	Expectation Expectation
	// AWSCallDelay is how long each EC2 call of a NAT pair's takeover takes (0: the default).
	AWSCallDelay time.Duration
	// Takeovers is how many takeovers each pair check with figures runs (0: one).
	Takeovers int
}

// LabFor runs program under mocks with a stack's config, builds the topology from what it
// registered and reads what it promises from its outputs.
func LabFor(program pulumi.RunFunc, stack string, config map[string]string) (Lab, error) {
	g, err := mockgraph.Run(program, config, mockgraph.Options{Stack: stack})
	if err != nil {
		return Lab{}, fmt.Errorf("twin: the program failed for stack %s: %w", stack, err)
	}
	return LabFromGraph(g, config)
}

// LabFromGraph builds a lab from a recorded program run and the config it ran with.
func LabFromGraph(g *mockgraph.Graph, config map[string]string) (Lab, error) {
	topo, err := FromGraph(g)
	if err != nil {
		return Lab{}, err
	}
	exp, err := expectationFrom(g.Outputs)
	if err != nil {
		return Lab{}, err
	}
	var allowed []netip.Prefix
	if raw := config["nat-instance:sshAllowedCidrs"]; raw != "" {
		var cidrs []string
		if err := json.Unmarshal([]byte(raw), &cidrs); err != nil {
			return Lab{}, fmt.Errorf("twin: sshAllowedCidrs: %w", err)
		}
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				return Lab{}, fmt.Errorf("twin: sshAllowedCidrs: %w", err)
			}
			allowed = append(allowed, p)
		}
	}
	exp.SSHAllowed, exp.SSHDenied = SSHProbeAddresses(allowed)
	return Lab{Topology: topo, Expectation: exp}, nil
}

// expectationFrom reads, per private instance, the Elastic IP it must leave through: the one
// NAT's for a one-zone stack, its zone's entry of egressIpByZone otherwise.
func expectationFrom(outputs map[string]any) (Expectation, error) {
	exp := Expectation{EgressIP: map[netip.Addr]netip.Addr{}}
	add := func(ips any, egress any) error {
		eip, err := netip.ParseAddr(fmt.Sprint(egress))
		if err != nil {
			return fmt.Errorf("twin: egress address %v: %w", egress, err)
		}
		for _, ip := range mockgraph.AsStrings(ips) {
			addr, err := netip.ParseAddr(ip)
			if err != nil {
				return fmt.Errorf("twin: private instance address %q: %w", ip, err)
			}
			exp.EgressIP[addr] = eip
		}
		return nil
	}
	byZone, multiZone := outputs["privateInstanceIpsByZone"].(map[string]any)
	if !multiZone {
		return exp, add(outputs["privateInstanceIps"], outputs["natPublicIp"])
	}
	egress, ok := outputs["egressIpByZone"].(map[string]string)
	if !ok {
		return exp, fmt.Errorf("twin: egressIpByZone is %T, want a map of zone to address", outputs["egressIpByZone"])
	}
	for zone, ips := range byZone {
		if err := add(ips, egress[zone]); err != nil {
			return exp, err
		}
	}
	return exp, nil
}

// Check is one named check of the lab. A check with Run has a twin of its own unless it only
// looks (ReadOnly): those share one, one after another. A check with OnPair exercises one NAT
// pair and shares a twin with other such checks, each on a pair of its own (RunChecks).
type Check struct {
	Name string
	// Change alters the topology before the twin is built (a negative control); nil keeps it.
	Change   func(*Topology)
	Run      func(ctx context.Context, t *Twin, exp Expectation) error
	ReadOnly bool
	OnPair   func(ctx context.Context, t *Twin, p Pair) error
	// PairCode marks a pair check whose outcome depends on the members' code, not on the
	// topology around the pair: the test suite runs it on one pair configuration
	// (TestTwinOfNATPairs), labtwin on every stack.
	PairCode bool
}

// LabChecks are the write-up's checks, and what it only says in words, as runnable checks.
func LabChecks(topo Topology) []Check {
	checks := []Check{
		{Name: "private instances reach the internet through their NAT, as its Elastic IP", ReadOnly: true, Run: bootThen(
			func(ctx context.Context, t *Twin, exp Expectation) error { return t.CheckEgress(ctx, exp) })},
		{Name: "nothing from the internet reaches a private instance; SSH only as configured", ReadOnly: true, Run: bootThen(
			func(ctx context.Context, t *Twin, exp Expectation) error { return t.CheckInbound(ctx, exp) })},
		{Name: "the boot script is idempotent and survives a reboot", Run: checkReboot},
		{Name: "negative control: without the private default route, no egress", Change: withoutPrivateDefaultRoutes, Run: bootThen(
			func(ctx context.Context, t *Twin, _ Expectation) error { return t.CheckNoEgress(ctx) })},
		{Name: "negative control: with source/dest check on, no egress", Change: withSourceDestCheck, Run: bootThen(
			func(ctx context.Context, t *Twin, _ Expectation) error { return t.CheckNoEgress(ctx) })},
		{Name: "negative control: without the boot script, no egress", Change: withoutBoot,
			Run: func(ctx context.Context, t *Twin, _ Expectation) error { return t.CheckNoEgress(ctx) }},
	}
	if len(topo.Pairs) > 0 {
		// A pair member's boot is checked by its return after a failure (PairChecks).
		checks = slices.Delete(checks, 2, 3)
		checks = append(checks, PairChecks()...)
	}
	if len(topo.nats()) > 1 {
		checks = append(checks, Check{Name: "a stopped NAT cuts only the zones it serves", Run: bootThen(checkZoneFailure)})
	}
	return checks
}

func bootThen(check func(context.Context, *Twin, Expectation) error) func(context.Context, *Twin, Expectation) error {
	return func(ctx context.Context, t *Twin, exp Expectation) error {
		if err := t.BootNATs(ctx); err != nil {
			return err
		}
		return check(ctx, t, exp)
	}
}

// checkReboot runs the boot script twice (each rule must exist once), then gives each NAT a
// fresh kernel state: egress is gone until only what the systemd unit runs at boot runs again.
func checkReboot(ctx context.Context, t *Twin, exp Expectation) error {
	for range 2 {
		if err := t.BootNATs(ctx); err != nil {
			return err
		}
	}
	var errs []error
	for _, nat := range t.NATs() {
		errs = append(errs, t.CheckRulesOnce(ctx, nat))
	}
	for _, nat := range t.NATs() {
		if err := t.Reboot(ctx, nat); err != nil {
			return err
		}
	}
	if err := t.CheckNoEgress(ctx); err != nil {
		errs = append(errs, fmt.Errorf("after a reboot, before the unit runs: %w", err))
	}
	if err := t.BootNATs(ctx); err != nil {
		return err
	}
	errs = append(errs, t.CheckEgress(ctx, exp))
	return errors.Join(errs...)
}

// checkZoneFailure stops the first NAT: the private instances it serves lose the internet, every
// other one keeps it, through its own zone's Elastic IP.
func checkZoneFailure(ctx context.Context, t *Twin, exp Expectation) error {
	nat := t.natInstances()[0]
	if err := t.Stop(ctx, nat.Name); err != nil {
		return err
	}
	var errs []error
	for _, p := range t.privateInstances() {
		want := exp.EgressIP[p.PrivateIP]
		seen, err := t.CheckIP(ctx, p.Name)
		switch {
		case want == nat.ElasticIP && err == nil:
			errs = append(errs, fmt.Errorf("%s still reaches the internet with %s stopped", p.Name, nat.Name))
		case want != nat.ElasticIP && err != nil:
			errs = append(errs, fmt.Errorf("%s lost the internet when %s, which does not serve it, stopped", p.Name, nat.Name))
		case want != nat.ElasticIP && seen != want:
			errs = append(errs, fmt.Errorf("%s leaves as %s with %s stopped, want its own zone's %s", p.Name, seen, nat.Name, want))
		}
	}
	return errors.Join(errs...)
}

func withoutPrivateDefaultRoutes(topo *Topology) {
	for i := range topo.Subnets {
		topo.Subnets[i].Routes = slices.DeleteFunc(slices.Clone(topo.Subnets[i].Routes), func(r Route) bool { return r.ENI != "" })
	}
}

// withoutBoot leaves the NAT instances and pair members as they are before any boot: no boot
// script, no member files, so no pair (and no member budget) either.
func withoutBoot(topo *Topology) {
	for i := range topo.Instances {
		topo.Instances[i].Boot, topo.Instances[i].PairFiles = nil, nil
	}
	topo.Pairs = nil
}

func withSourceDestCheck(topo *Topology) {
	for i := range topo.Instances {
		topo.Instances[i].SourceDestCheck = true
	}
}

// nats are the instances with a boot command: the NAT instances.
func (topo Topology) nats() []Instance {
	var out []Instance
	for _, inst := range topo.Instances {
		if inst.Boot != nil {
			out = append(out, inst)
		}
	}
	return out
}

// memberCount is how many NAT pair members the topology runs.
func (topo Topology) memberCount() int { return 2 * len(topo.Pairs) }

// clone copies a topology deeply enough for a Change to alter it.
func (topo Topology) clone() Topology {
	out := topo
	out.Subnets = slices.Clone(topo.Subnets)
	out.Instances = slices.Clone(topo.Instances)
	return out
}

// Result is the outcome of one check.
type Result struct {
	Check      string
	Transcript string
	Err        error
	// pair names the pair an OnPair check exercised on a twin it may have shared.
	pair string
}

// RunChecks runs the checks and returns their results in order. A check with Run gets a fresh
// twin; checks with OnPair are dealt out over twins of their own, one pair each, so a twin of a
// stack with three pairs serves three such checks at once. Twins run side by side as far as the
// member budget allows (budget.go); each is torn down, whatever happens.
func RunChecks(ctx context.Context, lab Lab, checks []Check) []Result {
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for _, group := range groupChecks(checks, len(lab.Topology.Pairs)) {
		wg.Go(func() { lab.runGroup(ctx, checks, group, results) })
	}
	wg.Wait()
	return results
}

// groupChecks says which checks share a twin: the read-only ones all together, OnPair checks that
// keep the topology as many at a time as the topology has pairs, every other check alone.
func groupChecks(checks []Check, pairs int) [][]int {
	var groups [][]int
	var readOnly, onPairs []int
	for i, c := range checks {
		switch {
		case c.OnPair != nil && pairs > 0 && c.Change == nil:
			if onPairs = append(onPairs, i); len(onPairs) == pairs {
				groups, onPairs = append(groups, onPairs), nil
			}
		case c.ReadOnly && c.OnPair == nil && c.Change == nil:
			readOnly = append(readOnly, i)
		default:
			groups = append(groups, []int{i})
		}
	}
	for _, rest := range [][]int{readOnly, onPairs} {
		if len(rest) > 0 {
			groups = append(groups, rest)
		}
	}
	return groups
}

// runGroup builds one twin for a group of checks, runs them and records their results.
func (lab Lab) runGroup(ctx context.Context, checks []Check, group []int, results []Result) {
	var log syncBuffer
	first := checks[group[0]]
	topo := lab.Topology.clone()
	if first.Change != nil {
		first.Change(&topo)
	}
	errs := make([]error, len(group))
	err := func() (err error) {
		if first.OnPair != nil && len(topo.Pairs) == 0 {
			return errors.New("twin: a pair check on a stack without NAT pairs")
		}
		release, err := reserveMembers(ctx, topo.memberCount())
		if err != nil {
			return err
		}
		defer release()
		opts := Options{Log: &log, InternetClients: lab.Expectation.Clients(), AWSCallDelay: lab.AWSCallDelay, Takeovers: lab.Takeovers}
		ctx, cancel := context.WithTimeout(ctx, opts.checkLimit())
		defer cancel()
		t, err := Up(ctx, topo, opts)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, t.Close()) }()
		if first.OnPair == nil {
			for k, i := range group {
				errs[k] = checks[i].Run(ctx, t, lab.Expectation)
			}
			return nil
		}
		return t.runOnPairs(ctx, checks, group, errs)
	}()
	for k, i := range group {
		r := Result{Check: checks[i].Name, Transcript: log.String(), Err: errors.Join(errs[k], err)}
		if checks[i].OnPair != nil && k < len(topo.Pairs) {
			r.pair = topo.Pairs[k].label()
		}
		results[i] = r
	}
}

// syncBuffer is a transcript that probes may write from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// PrintResults writes the transcripts and a verdict per check; it returns how many failed.
func PrintResults(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		verdict := "PASS"
		if r.Err != nil {
			verdict, failed = "FAIL", failed+1
		}
		fmt.Fprintf(w, "=== %s\n%s--- %s: %s\n", r.Check, r.Transcript, verdict, r.Check)
		if r.Err != nil {
			fmt.Fprintf(w, "    %v\n", r.Err)
		}
	}
	return failed
}
