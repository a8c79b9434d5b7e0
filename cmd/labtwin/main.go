// labtwin builds a network twin of a stack, from the program itself run under mocks, and runs
// the lab's checks on it: egress through the NAT as its Elastic IP (with tcpdump), nothing in
// from the internet, SSH only as configured, the boot script's idempotence and a reboot, and the
// negative controls; for NAT pairs (natHighAvailability), the fault matrix and its measured
// figures. It prints a transcript and exits non-zero if a check fails.
//
//	sudo go run ./cmd/labtwin -stack dev
//	sudo go run ./cmd/labtwin -stack prod -set nat-instance:natHighAvailability=true
//	sudo go run ./cmd/labtwin -stack prod -takeovers 10   # pair figures over 10 takeovers per EC2 fault
//	sudo go run ./cmd/labtwin -bench    # capacity figures: NAT against plain routing
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"nat-instance/capacity"
	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/netns"
	"nat-instance/twin"
)

func main() {
	// A child load generator of -bench does its work and exits here.
	capacity.RunLoadChild()
	stack := flag.String("stack", "dev", "stack whose Pulumi.<stack>.yaml gives the config")
	dir := flag.String("dir", ".", "project directory (holds Pulumi.yaml)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long (twins wait for their share of the machine: see docs/testing.md)")
	overrides := map[string]string{}
	flag.Func("set", "KEY=VALUE: override a config value of the stack file (repeatable)", func(kv string) error {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return fmt.Errorf("want KEY=VALUE, e.g. nat-instance:natHighAvailability=true, got %q", kv)
		}
		overrides[key] = value
		return nil
	})
	awsDelay := flag.Duration("aws-delay", twin.DefaultAWSCallDelay, "how long each EC2 call of a NAT pair's takeover takes")
	takeovers := flag.Int("takeovers", 1, "how many takeovers each NAT pair check with figures runs (EC2 answering, throttled, unreachable)")
	bench := flag.Bool("bench", false, "measure the NAT's capacity against plain routing instead of running the checks")
	only := flag.String("run", "", "run only the checks whose name matches this regular expression, e.g. 'takeovers'")
	flag.Parse()
	if *takeovers < 1 {
		fmt.Fprintf(os.Stderr, "labtwin: -takeovers %d: want at least 1\n", *takeovers)
		os.Exit(2)
	}
	selected, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: -run %q: %v\n", *only, err)
		os.Exit(2)
	}
	os.Exit(run(*stack, *dir, overrides, *timeout, *awsDelay, *takeovers, *bench, selected))
}

func run(stack, dir string, overrides map[string]string, timeout, awsDelay time.Duration, takeovers int, bench bool, selected *regexp.Regexp) int {
	if err := twin.Available(); err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: %v\n", err)
		return 2
	}
	// Ctrl-C or a kill stops the probes; the deferred sweep still removes every namespace.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if removed, err := netns.RemoveOwn(context.Background()); err != nil || len(removed) > 0 {
			fmt.Fprintf(os.Stderr, "labtwin: swept %d namespace(s) left by an interrupted check: %v\n", len(removed), err)
		}
	}()
	if removed, err := netns.RemoveLeftovers(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: removing leftovers of earlier runs: %v\n", err)
		return 2
	} else if len(removed) > 0 {
		fmt.Printf("removed %d namespace(s) left by an earlier run\n", len(removed))
	}

	start := time.Now()
	cfg, err := mockgraph.StackConfig(dir, stack)
	if err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: %v\n", err)
		return 2
	}
	maps.Copy(cfg, overrides)
	l, err := twin.LabFor(lab.Program, stack, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: %v\n", err)
		return 2
	}
	if bench {
		return runBench(ctx, l)
	}
	fmt.Printf("stack %s: VPC %s, %d subnet(s), %d instance(s); checks on fresh twins (read-only ones together, pair checks one pair each)\n\n",
		stack, l.Topology.VPC, len(l.Topology.Subnets), len(l.Topology.Instances))
	l.AWSCallDelay, l.Takeovers = awsDelay, takeovers
	checks := slices.DeleteFunc(twin.LabChecks(l.Topology), func(c twin.Check) bool { return !selected.MatchString(c.Name) })
	if len(checks) == 0 {
		fmt.Fprintf(os.Stderr, "labtwin: no check's name matches -run %q\n", selected)
		return 2
	}
	results := twin.RunChecks(ctx, l, checks)
	failed := twin.PrintResults(os.Stdout, results)
	if figures := twin.Figures(results); len(figures) > 0 {
		fmt.Printf("\nNAT pair figures (EC2 calls %v each):\n", awsDelay)
		for _, f := range figures {
			fmt.Println("  " + f)
		}
	}
	fmt.Printf("\n%d passed, %d failed (%.1f s)\n", len(results)-failed, failed, time.Since(start).Seconds())
	if ctx.Err() != nil {
		// Probes of a cancelled run fail whatever the network does, so the negative controls
		// "pass": no verdict of this run can be trusted.
		fmt.Fprintf(os.Stderr, "labtwin: interrupted or timed out (%v): the results above are not valid\n", context.Cause(ctx))
		return 1
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// runBench measures the capacity of the stack's first NAT instance, running its boot script.
func runBench(ctx context.Context, l twin.Lab) int {
	boot, err := l.Topology.NATBoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "labtwin: the stack has no NAT instance to measure")
		return 2
	}
	if err := capacity.RunBench(ctx, boot, capacity.DefaultBench, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "labtwin: bench: %v\n", err)
		return 1
	}
	return 0
}
