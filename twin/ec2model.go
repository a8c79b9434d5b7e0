package twin

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"sync"
	"time"
)

// The EC2 API is eventually consistent ("Eventual consistency in the Amazon EC2 API", EC2
// Developer Guide): a change can be invisible to the next describe call, and moving an address
// is asynchronous ("Remapping an IP address is an asynchronous operation", API Reference,
// AssignPrivateIpAddresses). The stand-in plays both, with delays AWS does not publish:
const (
	// DefaultAWSEffectDelay is how long after a call returns its effect reaches the network.
	DefaultAWSEffectDelay = 500 * time.Millisecond
	// DefaultAWSDescribeLag is how old the state a describe call shows is.
	DefaultAWSDescribeLag = 2 * time.Second
)

// ec2View is the part of EC2 the NAT pairs move: who holds each floating address, where each
// Elastic IP is associated, where each route table's default route points.
type ec2View struct {
	secondary    map[netip.Addr]string  // floating address -> instance whose interface holds it
	associations map[string]association // allocation id -> where it is associated
	routeTargets map[string]string      // route table id -> instance whose interface it targets
}

func (v ec2View) clone() ec2View {
	return ec2View{maps.Clone(v.secondary), maps.Clone(v.associations), maps.Clone(v.routeTargets)}
}

// association is an Elastic IP's association: a private address on an instance's interface.
type association struct {
	private  netip.Addr
	instance string
}

// recorded is EC2's record after one change, with when the change was made and the pair it was
// made for (by allocation id).
type recorded struct {
	at   time.Time
	view ec2View
	pair string
}

// ec2State is the stand-in's EC2: its record (what calls change and check, as each returns),
// the record's history (what describe calls show, late), what has reached the network, the
// calls made, the metrics published and the faults armed.
type ec2State struct {
	mu      sync.Mutex
	record  ec2View
	history []recorded
	landed  ec2View
	// landedUpTo is the number of changes of history that reached the network.
	landedUpTo int
	calls      []APICall
	metrics    []MetricDatum
	faults     map[string][]*armedFault // by pair (allocation id)
	// inFlight counts, per pair, the calls being answered: a takeover is complete only when none
	// is and every change landed.
	inFlight map[string]int
	// changing is the pair whose call is being served, for the change it makes.
	changing string
}

// APICall is one request a member's CLI made that reached the stand-in's endpoint.
type APICall struct {
	At        time.Time
	Member    string
	Operation string // e.g. "replace-route"
	Mutating  bool   // a change of EC2 (not a read, not a metric)
	Args      []string
	Err       error
}

// MetricDatum is one value a member published with cloudwatch put-metric-data.
type MetricDatum struct {
	At         time.Time
	Member     string
	Namespace  string
	Name       string
	Dimensions map[string]string
	Value      float64
}

func (o Options) awsEffectDelay() time.Duration {
	if o.AWSEffectDelay > 0 {
		return o.AWSEffectDelay
	}
	return DefaultAWSEffectDelay
}

func (o Options) awsDescribeLag() time.Duration {
	if o.AWSDescribeLag > 0 {
		return o.AWSDescribeLag
	}
	return DefaultAWSDescribeLag
}

// initEC2 records EC2's state at creation: floating addresses unassigned, floating Elastic IPs
// unassociated, default routes where the program pointed them.
func (t *Twin) initEC2() {
	v := ec2View{secondary: map[netip.Addr]string{}, associations: map[string]association{}, routeTargets: map[string]string{}}
	for _, s := range t.topo.Subnets {
		for _, r := range s.Routes {
			if r.Destination.Bits() == 0 && r.ENI != "" && t.pairOf(r.ENI) != nil && s.RouteTableID != "" {
				v.routeTargets[s.RouteTableID] = r.ENI
			}
		}
	}
	t.ec2 = ec2State{record: v, landed: v.clone(), history: []recorded{{time.Now(), v.clone(), ""}}, landedUpTo: 1,
		faults: map[string][]*armedFault{}, inFlight: map[string]int{}}
}

// change applies a call's effect to EC2's record, under t.ec2.mu, and has it reach the network
// after the effect delay.
func (t *Twin) change(edit func(v *ec2View)) {
	next := t.ec2.record.clone()
	edit(&next)
	t.ec2.record = next
	t.ec2.history = append(t.ec2.history, recorded{time.Now(), next.clone(), t.ec2.changing})
	upTo := len(t.ec2.history)
	time.AfterFunc(t.opts.awsEffectDelay(), func() { t.land(upTo) })
}

// land makes the network what EC2's record was after its first upTo changes: the router
// delivers each floating address to its holder, the internet gateway translates each Elastic
// IP where it is associated, each table's default route points to its target.
func (t *Twin) land(upTo int) {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	if upTo <= t.ec2.landedUpTo || t.closing() {
		return // a later change landed already, or the twin is going
	}
	before, after := t.ec2.landed, t.ec2.history[upTo-1].view.clone()
	t.ec2.landed, t.ec2.landedUpTo = after, upTo
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var errs []error
	for ip, holder := range after.secondary {
		if before.secondary[ip] != holder {
			errs = append(errs, t.deliverFloating(ctx, ip, t.instanceIndex(holder)))
		}
	}
	if !maps.Equal(before.associations, after.associations) {
		errs = append(errs, nftIn(ctx, t.igw(), "table ip twin_igw\ndelete table ip twin_igw\n"+t.igwRuleset()))
	}
	for table, target := range after.routeTargets {
		if before.routeTargets[table] != target {
			errs = append(errs, t.pointDefaultRoutes(ctx, table, t.instanceIndex(target)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.logf("EC2 stand-in: a change could not reach the twin's network: %v", err)
	}
}

func (t *Twin) closing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// described is EC2's record as a describe call made now sees it: as it was the describe lag ago.
func (t *Twin) described() ec2View {
	seen := t.ec2.history[0].view
	for _, r := range t.ec2.history {
		if time.Since(r.at) < t.opts.awsDescribeLag() {
			break
		}
		seen = r.view
	}
	return seen
}

// settled tells whether every change made for the pair reached the network and no call of the
// pair is being answered, under t.ec2.mu. (Other pairs of the twin go their own way.)
func (t *Twin) settled(p Pair) bool {
	for _, r := range t.ec2.history[t.ec2.landedUpTo:] {
		if r.pair == p.AllocationID {
			return false
		}
	}
	return t.ec2.inFlight[p.AllocationID] == 0
}

// deliverFloating makes the VPC router deliver a floating address to instance k's port.
func (t *Twin) deliverFloating(ctx context.Context, ip netip.Addr, k int) error {
	return ipIn(ctx, t.router(), "route", "replace", ip.String()+"/32", "dev", routerPort(k), "table", localTable)
}

// pointDefaultRoutes points the default route of every subnet using route table id to
// instance k.
func (t *Twin) pointDefaultRoutes(ctx context.Context, table string, k int) error {
	var errs []error
	for s, subnet := range t.topo.Subnets {
		if subnet.RouteTableID == table {
			errs = append(errs, ipIn(ctx, t.router(), "route", "replace", "default", "via", t.topo.Instances[k].PrivateIP.String(),
				"dev", routerPort(k), "onlink", "table", subnetTable(s)))
		}
	}
	return errors.Join(errs...)
}

// APICalls returns the calls members made so far.
func (t *Twin) APICalls() []APICall {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	return append([]APICall(nil), t.ec2.calls...)
}

// Metrics returns the metric values members published so far.
func (t *Twin) Metrics() []MetricDatum {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	return append([]MetricDatum(nil), t.ec2.metrics...)
}
