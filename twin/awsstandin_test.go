package twin

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/natpair"
)

// The stand-in takes the CLI's global options anywhere and each operation's options once,
// and refuses anything else, naming why.
func TestAWSStandInSyntax(t *testing.T) {
	ok := []string{
		"--region r ec2 assign-private-ip-addresses --network-interface-id eni-1 --private-ip-addresses 10.0.0.5 --allow-reassignment",
		"ec2 associate-address --region r --allocation-id eipalloc-1 --network-interface-id eni-1 --private-ip-address 10.0.0.5 --allow-reassociation",
		"--region r --cli-connect-timeout 2 --cli-read-timeout 5 ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-1",
		"--region r ec2 describe-route-tables --route-table-ids rtb-1 rtb-2 --query RouteTables[].RouteTableId --output text",
		"--region r ec2 describe-network-interfaces --filters Name=addresses.private-ip-address,Values=10.0.0.5",
		"--region r cloudwatch put-metric-data --namespace NatInstance --metric-name IdentityWhole --dimensions NatPair=n --value 1",
	}
	for _, line := range ok {
		if _, err := parseAWS(strings.Fields(line)); err != nil {
			t.Errorf("%q refused: %v", line, err)
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-1", "must specify a region"},
		{"--region r ec2 replace-routes --route-table-id rtb-1", "invalid choice"},
		{"--region r ec2 replace-route --route-table-id rtb-1 --network-interface-id eni-1", "required: --destination-cidr-block"},
		{"--region r ec2 associate-address --allocation-id a --network-interface-id e --private-ip-address 10.0.0.5 --allow-reassociate", `"--allow-reassociate"`},
		{"--region r ec2 assign-private-ip-addresses --network-interface-id e --network-interface-id f --private-ip-addresses 10.0.0.5", "given twice"},
		{"--region r ec2 assign-private-ip-addresses --network-interface-id e f --private-ip-addresses 10.0.0.5", "expected one argument"},
		{"--region r --cli-read-timeout soon ec2 describe-addresses", "invalid int value"},
		{"--region r ec2 describe-addresses --output yaml", "invalid choice"},
	} {
		_, err := parseAWS(strings.Fields(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.want)
		}
	}
}

// standIn is a twin of the pair lab with no namespaces: the AWS stand-in alone, its changes
// kept from the network (the twin counts as closed).
func standIn(t *testing.T, opts Options) (*Twin, Pair) {
	t.Helper()
	cfg := map[string]string{"aws:region": "ap-northeast-2", "nat-instance:natHighAvailability": "true"}
	g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return standInOf(t, g, cfg, opts)
}

func standInOf(t *testing.T, g *mockgraph.Graph, cfg map[string]string, opts Options) (*Twin, Pair) {
	t.Helper()
	l, err := LabFromGraph(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	tw := &Twin{topo: l.Topology, opts: opts, closed: true}
	tw.initEC2()
	return tw, l.Topology.Pairs[0]
}

// cli runs one stand-in CLI command of a member.
func cli(tw *Twin, member, line string, env cliEnv) cliResult {
	return tw.runCLI(context.Background(), member, strings.Fields(line), env)
}

// memberCalls are the stand-in commands a member's scripts make, for member m of pair p.
func memberCalls(tw *Twin, p Pair, m int) []string {
	self := tw.topo.Instances[tw.instanceIndex(p.Members[m])]
	var table string
	for id := range tw.ec2.record.routeTargets {
		table = id
	}
	g := "--region " + p.Region + " --cli-connect-timeout 2 --cli-read-timeout 5 "
	return []string{
		g + "ec2 assign-private-ip-addresses --network-interface-id " + self.ENI + " --private-ip-addresses " + p.FloatingIP.String() + " --allow-reassignment",
		g + "ec2 associate-address --allocation-id " + p.AllocationID + " --network-interface-id " + self.ENI + " --private-ip-address " + p.FloatingIP.String() + " --allow-reassociation",
		g + "ec2 replace-route --route-table-id " + table + " --destination-cidr-block 0.0.0.0/0 --network-interface-id " + self.ENI,
		g + "ec2 describe-network-interfaces --filters Name=addresses.private-ip-address,Values=" + p.FloatingIP.String(),
		g + "ec2 describe-addresses --allocation-ids " + p.AllocationID,
		g + "ec2 describe-route-tables --route-table-ids " + table,
		g + "cloudwatch put-metric-data --namespace NatInstance --metric-name IdentityWhole --dimensions NatPair=nat-instance --value 1",
	}
}

// Every call of a member is checked against its role's policy as the program registered it: all
// pass with the program's policy, and a policy without one action refuses exactly that call with
// EC2's UnauthorizedOperation (CloudWatch's AccessDenied), without retrying it.
func TestAWSStandInIAM(t *testing.T) {
	fast := Options{AWSCallDelay: time.Millisecond}
	tw, p := standIn(t, fast)
	for _, line := range memberCalls(tw, p, 1) {
		if r := cli(tw, p.Members[1], line, cliEnv{}); r.status != 0 {
			t.Errorf("%s: status %d: %s", line, r.status, r.stderr)
		}
	}
	for _, action := range []string{"ec2:ReplaceRoute", "ec2:DescribeAddresses", "cloudwatch:PutMetricData", "ec2:AssociateAddress"} {
		cfg := map[string]string{"aws:region": "ap-northeast-2", "nat-instance:natHighAvailability": "true"}
		g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !removeAction(g, action) {
			t.Fatalf("no policy of the graph allows %s", action)
		}
		tw, p := standInOf(t, g, cfg, fast)
		for _, line := range memberCalls(tw, p, 0) {
			r := cli(tw, p.Members[0], line, cliEnv{})
			want := callOf(line) == action
			denied := r.status == awsServiceError &&
				(strings.Contains(r.stderr, "(UnauthorizedOperation)") || strings.Contains(r.stderr, "(AccessDenied)"))
			if denied != want || (!want && r.status != 0) {
				t.Errorf("without %s: %s: status %d (%s)", action, line, r.status, r.stderr)
			}
		}
		if n := len(tw.APICalls()); n != len(memberCalls(tw, p, 0)) {
			t.Errorf("without %s: %d calls reached the endpoint, want one each: a refusal is not retried", action, n)
		}
	}
}

// callOf names the IAM action of a stand-in command line.
func callOf(line string) string {
	cmd, err := parseAWS(strings.Fields(line))
	if err != nil {
		return ""
	}
	return cmd.op.action
}

// removeAction takes an action out of every role policy of the graph (a statement left without
// actions goes), as if the program had not granted it.
func removeAction(g *mockgraph.Graph, action string) bool {
	removed := false
	for _, r := range g.Resources {
		if r.Type != "aws:iam/rolePolicy:RolePolicy" {
			continue
		}
		var doc map[string]any
		if json.Unmarshal([]byte(r.String("policy")), &doc) != nil {
			continue
		}
		statements, _ := doc["Statement"].([]any)
		var kept []any
		for _, s := range statements {
			st := s.(map[string]any)
			actions := mockgraph.AsStrings(st["Action"])
			if one, isString := st["Action"].(string); isString {
				actions = []string{one}
			}
			left := slices.DeleteFunc(actions, func(a string) bool { return a == action })
			removed = removed || len(left) < len(actions)
			if len(left) > 0 {
				st["Action"] = left
				kept = append(kept, st)
			}
		}
		doc["Statement"] = kept
		text, _ := json.Marshal(doc)
		r.Inputs["policy"] = string(text)
	}
	return removed
}

// identityReads are the describe commands of the members' identity check, as its script writes
// them, with the member's settings in place of its variables.
func identityReads(t *testing.T, tw *Twin, member string) []string {
	t.Helper()
	settings, err := pairSettings(tw.topo.Instances[tw.instanceIndex(member)].PairFiles)
	if err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(natpair.IdentityScript, "\\\n", " ")
	var out []string
	for _, m := range regexp.MustCompile(`aws_ (ec2 describe-\S+ .*?)\s+--query\s+(['"])(.*?)['"]\s+--output text`).FindAllStringSubmatch(script, -1) {
		line := os.Expand(strings.NewReplacer(`"`, "", "'", "").Replace(m[1]), func(k string) string { return settings[k] })
		out = append(out, "--region "+settings["NAT_REGION"]+" "+strings.Join(strings.Fields(line), " ")+"\x00"+m[3])
	}
	if len(out) != 3 {
		t.Fatalf("found %d describe commands in nat-pair-identity, want 3: %q", len(out), out)
	}
	return out
}

// The identity check's own reads, through the stand-in's CLI (JMESPath --query, text output),
// before a takeover and after it, once the describe lag has passed.
func TestAWSStandInAnswersTheIdentityCheck(t *testing.T) {
	lag := 50 * time.Millisecond
	tw, p := standIn(t, Options{AWSCallDelay: time.Millisecond, AWSDescribeLag: lag})
	member := p.Members[1]
	self := tw.topo.Instances[tw.instanceIndex(member)].ENI
	other := tw.topo.Instances[tw.instanceIndex(p.Members[0])].ENI
	table := slices.Collect(maps.Keys(tw.ec2.record.routeTargets))[0]
	read := func() []string {
		var out []string
		for _, r := range identityReads(t, tw, member) {
			line, query, _ := strings.Cut(r, "\x00")
			res := tw.runCLI(context.Background(), member, append(strings.Fields(line), "--query", query, "--output", "text"), cliEnv{})
			if res.status != 0 {
				t.Fatalf("%s: status %d: %s", line, res.status, res.stderr)
			}
			out = append(out, res.stdout)
		}
		return out
	}
	want := []string{"", "None\tNone\n", table + "\t" + other + "\n"}
	if got := read(); !slices.Equal(got, want) {
		t.Errorf("before a takeover: %q, want %q", got, want)
	}
	for _, line := range memberCalls(tw, p, 1)[:3] {
		if r := cli(tw, member, line, cliEnv{}); r.status != 0 {
			t.Fatalf("%s: %s", line, r.stderr)
		}
	}
	if got := read(); !slices.Equal(got, want) {
		t.Errorf("right after the takeover, within the describe lag: %q, want the old state %q", got, want)
	}
	time.Sleep(lag)
	want = []string{self + "\n", self + "\t" + p.FloatingIP.String() + "\n", table + "\t" + self + "\n"}
	if got := read(); !slices.Equal(got, want) {
		t.Errorf("after the lag: %q, want %q", got, want)
	}
}

// EC2's own refusals of the members' calls (API Reference: AssignPrivateIpAddresses,
// AssociateAddress, ReplaceRoute), with the CLI's service-error status.
func TestAWSStandInRefusals(t *testing.T) {
	tw, p := standIn(t, Options{AWSCallDelay: time.Millisecond})
	a, b := tw.topo.Instances[tw.instanceIndex(p.Members[0])], tw.topo.Instances[tw.instanceIndex(p.Members[1])]
	g := "--region " + p.Region + " ec2 "
	table := slices.Collect(maps.Keys(tw.ec2.record.routeTargets))[0]
	for _, tc := range []struct{ name, line, want string }{
		{"another interface's primary address", "assign-private-ip-addresses --network-interface-id " + a.ENI +
			" --private-ip-addresses " + b.PrivateIP.String() + " --allow-reassignment", "(InvalidIPAddress.InUse)"},
		{"an address outside the subnet", "assign-private-ip-addresses --network-interface-id " + a.ENI +
			" --private-ip-addresses 10.99.0.5 --allow-reassignment", "(InvalidParameterValue)"},
		{"an address held elsewhere, without --allow-reassignment", "assign-private-ip-addresses --network-interface-id " + b.ENI +
			" --private-ip-addresses " + p.FloatingIP.String(), "(InvalidIPAddress.InUse)"},
		{"an Elastic IP associated elsewhere, without --allow-reassociation", "associate-address --allocation-id " + p.AllocationID +
			" --network-interface-id " + b.ENI + " --private-ip-address " + b.PrivateIP.String(), "(Resource.AlreadyAssociated)"},
		{"an address the interface does not hold", "associate-address --allocation-id " + p.AllocationID +
			" --network-interface-id " + b.ENI + " --private-ip-address " + p.FloatingIP.String() + " --allow-reassociation", "(InvalidParameterValue)"},
		{"an unknown interface", "replace-route --route-table-id " + table + " --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-nope",
			"(InvalidNetworkInterfaceID.NotFound)"},
		{"a route the table does not have", "replace-route --route-table-id " + table + " --destination-cidr-block 10.0.0.0/8 --network-interface-id " + b.ENI,
			"(InvalidRoute.NotFound)"},
		{"an unknown allocation", "describe-addresses --allocation-ids eipalloc-nope", "(InvalidAllocationID.NotFound)"},
	} {
		// a holds the floating address and the Elastic IP on it before each refusal.
		for _, line := range memberCalls(tw, p, 0)[:2] {
			if r := cli(tw, p.Members[0], line, cliEnv{}); r.status != 0 {
				t.Fatalf("%s: %s", line, r.stderr)
			}
		}
		r := cli(tw, p.Members[1], g+tc.line, cliEnv{})
		if r.status != awsServiceError || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: status %d %q, want %d with %s", tc.name, r.status, r.stderr, awsServiceError, tc.want)
		}
	}
	if a := tw.ec2.record.associations[p.AllocationID]; a.instance != p.Members[0] {
		t.Errorf("a refused call changed EC2: the Elastic IP is on %s", a.instance)
	}
}

// The CLI's retries and timeouts against the endpoint's faults: throttling and server errors are
// retried up to AWS_MAX_ATTEMPTS, then exit 254; an unreachable endpoint costs each attempt the
// connect timeout and exits 255; an answer later than the read timeout exits 255, and EC2 carries
// the call out all the same.
func TestAWSStandInFaults(t *testing.T) {
	fast := Options{AWSCallDelay: 5 * time.Millisecond, AWSDescribeLag: time.Millisecond}
	route := func(tw *Twin, p Pair) string { return memberCalls(tw, p, 0)[2] }
	for _, tc := range []struct {
		name    string
		fault   AWSFault
		env     cliEnv
		status  int
		reached int    // attempts that reached the endpoint
		stderr  string // part of the CLI's message
		least   time.Duration
	}{
		{"two throttled calls, three attempts", AWSFault{Kind: Throttled, Calls: 2}, cliEnv{}, 0, 3, "", 3 * time.Second},
		{"three throttled calls, three attempts", AWSFault{Kind: Throttled, Calls: 3}, cliEnv{}, awsServiceError, 3,
			"(RequestLimitExceeded) when calling the ReplaceRoute operation (reached max retries: 2)", 3 * time.Second},
		{"server errors, two attempts", AWSFault{Kind: ServerError, Calls: 5}, cliEnv{maxAttempts: "2"}, awsServiceError, 2, "(Unavailable)", time.Second},
		{"only describe calls throttled", AWSFault{Kind: Throttled, Operations: []string{"describe-addresses"}, Calls: 5}, cliEnv{}, 0, 1, "", 0},
		{"unreachable, two attempts", AWSFault{Kind: Unreachable, For: time.Minute}, cliEnv{maxAttempts: "2"}, awsOtherError, 0,
			`Connect timeout on endpoint URL: "https://ec2.ap-northeast-2.amazonaws.com/"`, 2*2*time.Second + time.Second},
		{"a slow answer, no retries", AWSFault{Kind: SlowAnswer, Calls: 1, Delay: 6 * time.Second}, cliEnv{maxAttempts: "1"}, awsOtherError, 0,
			"Read timeout on endpoint URL", 5 * time.Second},
		{"an unknown retry mode", AWSFault{}, cliEnv{retryMode: "eager"}, awsConfigError, 0, "retry_mode", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tw, p := standIn(t, fast)
			if tc.fault.Kind != 0 {
				tw.ArmAWSFaults(p, tc.fault)
			}
			start := time.Now()
			r := cli(tw, p.Members[0], route(tw, p), tc.env)
			took := time.Since(start)
			if r.status != tc.status || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("status %d %q, want %d with %q", r.status, r.stderr, tc.status, tc.stderr)
			}
			if n := len(tw.APICalls()); n != tc.reached {
				t.Errorf("%d attempts reached the endpoint, want %d", n, tc.reached)
			}
			// The CLI's waits, as its settings say (a lower bound: the machine only adds).
			if took < tc.least {
				t.Errorf("the command took %v, less than its settings' %v", took, tc.least)
			}
		})
	}
	// The slow answer's call still lands: the route moved though the CLI gave up.
	tw, p := standIn(t, fast)
	tw.ArmAWSFaults(p, AWSFault{Kind: SlowAnswer, Calls: 1, Delay: 6 * time.Second})
	cli(tw, p.Members[1], memberCalls(tw, p, 1)[2], cliEnv{maxAttempts: "1"})
	time.Sleep(2 * time.Second)
	for _, target := range tw.ec2.record.routeTargets {
		if target != p.Members[1] {
			t.Errorf("the route targets %s after a call the CLI stopped waiting for: EC2 carries it out", target)
		}
	}
}
