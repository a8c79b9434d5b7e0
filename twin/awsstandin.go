package twin

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// awsStandIn is what a member runs as `aws`: it forwards its arguments to serveAWS.
//
//go:embed aws-standin.sh
var awsStandIn []byte

// awsPort is where the EC2 stand-in listens on each member's loopback.
const awsPort = 8773

// DefaultAWSCallDelay is how long each stand-in EC2 call takes, about what the real API takes.
const DefaultAWSCallDelay = time.Second

// Exit statuses of the AWS CLI v2: a command line it cannot parse, a call the service refused.
const (
	awsSyntaxError  = 252
	awsServiceError = 254
)

// APICall is one call a member made to the EC2 stand-in.
type APICall struct {
	At     time.Time
	Member string
	Args   []string
	Err    error
}

// ec2State is the part of EC2 the NAT pairs move: who holds each floating address, where each
// Elastic IP is associated, where each route table's default route points.
type ec2State struct {
	mu           sync.Mutex
	secondary    map[netip.Addr]string  // floating address -> instance whose ENI holds it
	associations map[string]association // allocation id -> where it is associated
	routeTargets map[string]string      // route table id -> instance
	calls        []APICall
	// inFlight counts, per pair (by allocation id), the calls being answered: a takeover is
	// complete only when none is.
	inFlight map[string]int
}

// association is an Elastic IP's association: a private address on an instance's interface;
// claimed when that instance associated it itself, not when it followed a moved address.
type association struct {
	private  netip.Addr
	instance string
	claimed  bool
}

// ec2Error is a call EC2 refuses, worded as the AWS CLI prints it.
type ec2Error struct{ code, message string }

func (e ec2Error) Error() string { return "An error occurred (" + e.code + "): " + e.message }

// refused is EC2's answer code to a call, with a message.
func refused(code, format string, args ...any) error {
	return ec2Error{code, fmt.Sprintf(format, args...)}
}

// awsCommand is a parsed command line: the operation and its options.
type awsCommand struct {
	region, operation string
	values            map[string]string
	flags             map[string]bool
}

// awsOperations lists, per EC2 operation the notify script uses, the options it must give
// (value options, then flags). Anything else is refused, so that a typo fails the checks.
var awsOperations = map[string]struct{ values, flags []string }{
	"assign-private-ip-addresses": {[]string{"--network-interface-id", "--private-ip-addresses"}, []string{"--allow-reassignment"}},
	"associate-address":           {[]string{"--allocation-id", "--network-interface-id", "--private-ip-address"}, []string{"--allow-reassociation"}},
	"replace-route":               {[]string{"--route-table-id", "--destination-cidr-block", "--network-interface-id"}, nil},
}

// parseAWS reads `--region R ec2 OPERATION OPTIONS...`, the shape of every call of the notify
// script, requiring each option of the operation exactly once.
func parseAWS(args []string) (awsCommand, error) {
	if len(args) < 4 || args[0] != "--region" || args[2] != "ec2" {
		return awsCommand{}, fmt.Errorf("aws: error: expected `aws --region REGION ec2 OPERATION ...`, got %q", args)
	}
	cmd := awsCommand{region: args[1], operation: args[3], values: map[string]string{}, flags: map[string]bool{}}
	op, ok := awsOperations[cmd.operation]
	if !ok {
		return cmd, fmt.Errorf("aws: error: argument operation: invalid choice: %q", cmd.operation)
	}
	rest := args[4:]
	for len(rest) > 0 {
		name := rest[0]
		switch {
		case slices.Contains(op.flags, name) && !cmd.flags[name]:
			cmd.flags[name] = true
			rest = rest[1:]
		case slices.Contains(op.values, name) && cmd.values[name] == "" && len(rest) > 1 && !strings.HasPrefix(rest[1], "--"):
			cmd.values[name] = rest[1]
			rest = rest[2:]
		default:
			return cmd, fmt.Errorf("aws: error: %s: unknown, repeated or valueless option %q", cmd.operation, name)
		}
	}
	for _, v := range op.values {
		if cmd.values[v] == "" {
			return cmd, fmt.Errorf("aws: error: %s: the following arguments are required: %s", cmd.operation, v)
		}
	}
	for _, f := range op.flags {
		if !cmd.flags[f] {
			return cmd, fmt.Errorf("aws: error: %s: the notify script always passes %s", cmd.operation, f)
		}
	}
	return cmd, nil
}

// serveAWS answers one member's stand-in CLI until the listener closes.
func (t *Twin) serveAWS(l net.Listener, member string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go t.answerAWS(c, member)
	}
}

func (t *Twin) answerAWS(c net.Conn, member string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	field := func() (string, error) {
		s, err := r.ReadString(0)
		return strings.TrimSuffix(s, "\x00"), err
	}
	countText, err := field()
	n, convErr := strconv.Atoi(countText)
	if err != nil || convErr != nil || n > 64 {
		return
	}
	args := make([]string, n)
	for i := range args {
		if args[i], err = field(); err != nil {
			return
		}
	}
	status, output := 0, "{}"
	cmd, err := parseAWS(args)
	if err != nil {
		status = awsSyntaxError
	} else if err = t.applyAWS(member, cmd); err != nil {
		status = awsServiceError
	}
	if err != nil {
		output = err.Error()
	}
	t.ec2.mu.Lock()
	t.ec2.calls = append(t.ec2.calls, APICall{At: time.Now(), Member: member, Args: args, Err: err})
	t.ec2.mu.Unlock()
	t.logf("%s: aws %s: %s", member, strings.Join(args, " "), orOK(err))
	fmt.Fprintf(c, "%d\x00%s\x00", status, output)
}

func orOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// applyAWS checks a call against the twin's EC2 state as EC2 would, waits the call's delay and
// applies its effect to the twin's network.
func (t *Twin) applyAWS(member string, cmd awsCommand) error {
	pair := t.pairOf(member)
	if pair == nil || cmd.region != pair.Region {
		return refused("UnauthorizedOperation", "%s in region %q is not this pair's (%v)", member, cmd.region, pair)
	}
	t.ec2.mu.Lock()
	t.ec2.inFlight[pair.AllocationID]++
	t.ec2.mu.Unlock()
	defer func() {
		t.ec2.mu.Lock()
		t.ec2.inFlight[pair.AllocationID]--
		t.ec2.mu.Unlock()
	}()
	eniOwner := func(option string) (int, error) {
		id := cmd.values[option]
		for k, inst := range t.topo.Instances {
			if inst.ENI == id && inst.ENI != "" && (inst.Name == pair.Members[0] || inst.Name == pair.Members[1]) {
				return k, nil
			}
		}
		return -1, refused("InvalidNetworkInterfaceID.NotFound", "%s is not a member interface of this pair", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.opts.awsCallDelay()+commandTimeout)
	defer cancel()
	select {
	case <-time.After(t.opts.awsCallDelay()):
	case <-ctx.Done():
	}
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	switch cmd.operation {
	case "assign-private-ip-addresses":
		k, err := eniOwner("--network-interface-id")
		if err != nil {
			return err
		}
		if ip, _ := netip.ParseAddr(cmd.values["--private-ip-addresses"]); ip != pair.FloatingIP {
			return refused("InvalidParameterValue", "%s is not the pair's floating address %s", cmd.values["--private-ip-addresses"], pair.FloatingIP)
		}
		t.ec2.secondary[pair.FloatingIP] = t.topo.Instances[k].Name
		// "When you move a secondary private IP address to another network interface, any
		// Elastic IP address that is associated with the IP address is also moved" (EC2 API
		// reference, AssignPrivateIpAddresses).
		if a, ok := t.ec2.associations[pair.AllocationID]; ok && a.private == pair.FloatingIP {
			t.ec2.associations[pair.AllocationID] = association{pair.FloatingIP, t.topo.Instances[k].Name, false}
		}
		return t.deliverFloating(ctx, pair, k)
	case "associate-address":
		k, err := eniOwner("--network-interface-id")
		if err != nil {
			return err
		}
		if cmd.values["--allocation-id"] != pair.AllocationID {
			return refused("InvalidAllocationID.NotFound", "%s", cmd.values["--allocation-id"])
		}
		ip, _ := netip.ParseAddr(cmd.values["--private-ip-address"])
		if ip != t.topo.Instances[k].PrivateIP && t.ec2.secondary[ip] != t.topo.Instances[k].Name {
			return refused("InvalidParameterValue", "%s is not an address of %s", ip, cmd.values["--network-interface-id"])
		}
		t.ec2.associations[pair.AllocationID] = association{ip, t.topo.Instances[k].Name, true}
		return nftIn(ctx, t.igw(), "table ip twin_igw\ndelete table ip twin_igw\n"+t.igwRuleset())
	default: // replace-route
		k, err := eniOwner("--network-interface-id")
		if err != nil {
			return err
		}
		table := cmd.values["--route-table-id"]
		if cmd.values["--destination-cidr-block"] != "0.0.0.0/0" {
			return refused("InvalidRoute.NotFound", "no route to %s in %s", cmd.values["--destination-cidr-block"], table)
		}
		if _, known := t.ec2.routeTargets[table]; !known {
			return refused("InvalidRouteTableID.NotFound", "%s has no default route to a NAT", table)
		}
		t.ec2.routeTargets[table] = t.topo.Instances[k].Name
		return t.pointDefaultRoutes(ctx, table, k)
	}
}

// deliverFloating makes the VPC router deliver the floating address to instance k's port.
func (t *Twin) deliverFloating(ctx context.Context, p *Pair, k int) error {
	return ipIn(ctx, t.router(), "route", "replace", p.FloatingIP.String()+"/32", "dev", routerPort(k), "table", localTable)
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
