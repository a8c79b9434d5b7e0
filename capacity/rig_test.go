package capacity

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"nat-instance/compute"
	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/netns"
	"nat-instance/netns/nstest"
	"nat-instance/twin"
)

// labNATBoot is the dev stack's NAT boot command, as its user data installs it: the program
// run under mocks with Pulumi.dev.yaml, its graph read by the twin's reader (no twin is built).
func labNATBoot(t testing.TB) netns.BootCommand {
	t.Helper()
	cfg, err := mockgraph.StackConfig("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	l, err := twin.LabFor(lab.Program, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := l.Topology.NATBoot()
	if err != nil {
		t.Fatal(err)
	}
	return boot
}

// requireRig skips where this machine cannot build a rig, except in CI, which runs as root and
// must run these tests.
func requireRig(t *testing.T) {
	t.Helper()
	nstest.Require(t, "capacity rig", available())
}

func newRig(t testing.TB, mode RigMode) *Rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := NewRig(ctx, labNATBoot(t), mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// hostSetting reads a kernel setting of this machine's own namespace.
func hostSetting(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(key, ".", "/"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestMain lets the test binary serve as a child load generator (see RunLoadChild).
func TestMain(m *testing.M) {
	RunLoadChild()
	os.Exit(m.Run())
}

// The boot script applies its connection-tracking timeouts where they can be set (per network
// namespace), leaves the host-wide table size alone outside the initial namespace, and says
// what it would size the table to on this machine's memory.
func TestBootScriptSizesConnectionTracking(t *testing.T) {
	t.Parallel()
	requireRig(t)
	hostWide := []string{"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established"}
	before := map[string]string{}
	for _, key := range hostWide {
		before[key] = hostSetting(t, key)
	}
	r := newRig(t, NATBootScript)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for key, want := range map[string]string{
		"net.netfilter.nf_conntrack_tcp_timeout_established": "7440",
		"net.netfilter.nf_conntrack_tcp_timeout_time_wait":   "60",
		"net.netfilter.nf_conntrack_udp_timeout":             "30",
		"net.netfilter.nf_conntrack_udp_timeout_stream":      "120",
		"net.netfilter.nf_conntrack_icmp_timeout":            "30",
	} {
		got, err := r.NATSysctl(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("in the NAT's namespace %s = %s, want %s", key, got, want)
		}
	}
	for _, key := range hostWide {
		if got := hostSetting(t, key); got != before[key] {
			t.Errorf("the boot script changed this machine's %s: %s, was %s", key, got, before[key])
		}
	}

	// Run it again to read what it says: the size it derives from MemTotal.
	out, err := netns.RunBoot(ctx, r.nat(), &r.boot)
	if err != nil {
		t.Fatalf("second run: %v: %s", err, out)
	}
	meminfo, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	var memKiB int
	for _, line := range strings.Split(string(meminfo), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			memKiB, _ = strconv.Atoi(f[1])
		}
	}
	want := min(max(memKiB/8/8192*8192, 65536), 1048576)
	line := "max " + strconv.Itoa(want) + " entries, " + strconv.Itoa(want) + " buckets"
	if !strings.Contains(out, line) {
		t.Errorf("for MemTotal %d KiB the script should size the table to %q; it said:\n%s", memKiB, line, out)
	}
	if !strings.Contains(out, "host-wide nf_conntrack_max "+before["net.netfilter.nf_conntrack_max"]+" ") {
		t.Errorf("the script should say it kept the host-wide limit; it said:\n%s", out)
	}
}

// The short capacity run CI can afford: a few thousand TCP connections held open at once
// through the NAT running the boot script, every one established and accepted, all in the
// NAT's table, nothing dropped. Not in parallel with the other tests: its burst of load would
// disturb their measurements.
func TestCapacityShortRun(t *testing.T) {
	requireRig(t)
	r := newRig(t, NATBootScript)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 3000
	res, err := r.HoldTCP(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d connections: %d established, %d accepted, NAT table %d/%d, drops %d, in %v",
		n, res.Established, res.Accepted, res.Stats.Count, res.Stats.Max, res.Stats.Drop, res.Elapsed)
	if res.Established != n || res.Accepted != n {
		t.Errorf("established %d, accepted %d, want %d", res.Established, res.Accepted, n)
	}
	if res.Translated != n {
		t.Errorf("%d of %d connections reached the internet host from the NAT's address", res.Translated, n)
	}
	if res.Stats.Count < n {
		t.Errorf("the NAT's table holds %d entries with %d connections open", res.Stats.Count, n)
	}
	if res.Stats.Drop+res.Stats.EarlyDrop+res.Stats.InsertFailed > 0 {
		t.Errorf("the NAT dropped: %+v", res.Stats)
	}
	udp, err := r.ShortUDPFlows(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	if udp.Answered != udp.Flows {
		t.Errorf("%d of %d short UDP flows answered", udp.Answered, udp.Flows)
	}
}

// The metrics script, run in the NAT's namespace after traffic, publishes the table's count and
// use as the NAT sees them, and the growth of the allowance counters between two runs. curl
// (the metadata service), ethtool (the ENA counters) and aws are stand-ins that answer and record.
func TestMetricsScriptPublishesTheNATsTable(t *testing.T) {
	t.Parallel()
	requireRig(t)
	r := newRig(t, NATBootScript)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.ShortUDPFlows(ctx, 300); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stubs := map[string]string{
		"curl": `case "$*" in
			*api/token*) echo token ;;
			*meta-data/instance-id*) echo i-0123456789abcdef0 ;;
			*meta-data/placement/region*) echo ap-northeast-2 ;;
			*) exit 22 ;;
			esac`,
		"ethtool": `echo "NIC statistics:"; cat "$(dirname "$0")/ena"`,
		"aws":     `printf '%s\n' "$@" >"$(dirname "$0")/aws-args"`,
	}
	for name, body := range stubs {
		if err := os.WriteFile(dir+"/"+name, []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(dir+"/nat-instance-metrics", []byte(compute.NatMetricsScript), 0o755); err != nil {
		t.Fatal(err)
	}
	type metric struct {
		MetricName string
		Dimensions []struct{ Name, Value string }
		Value      float64
		Unit       string
	}
	publish := func(ena string) (map[string]metric, ConntrackStats) {
		t.Helper()
		if err := os.WriteFile(dir+"/ena", []byte(ena), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := netns.Exec(ctx, r.nat(), "env", "PATH="+dir+":"+os.Getenv("PATH"), "RUNTIME_DIRECTORY="+dir+"/state",
			"bash", dir+"/nat-instance-metrics", compute.MetricsNamespace)
		if err != nil {
			t.Fatalf("metrics script: %v: %s", err, out)
		}
		stats, err := r.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		args, err := os.ReadFile(dir + "/aws-args")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(args)), "\n")
		want := []string{"cloudwatch", "put-metric-data", "--region", "ap-northeast-2", "--namespace", compute.MetricsNamespace, "--metric-data"}
		if len(lines) != len(want)+1 || strings.Join(lines[:len(want)], " ") != strings.Join(want, " ") {
			t.Fatalf("aws called with %q, want %q and the data", lines, want)
		}
		var data []metric
		if err := json.Unmarshal([]byte(lines[len(want)]), &data); err != nil {
			t.Fatalf("metric data %s: %v", lines[len(want)], err)
		}
		byName := map[string]metric{}
		for _, m := range data {
			if len(m.Dimensions) != 1 || m.Dimensions[0].Name != "InstanceId" || m.Dimensions[0].Value != "i-0123456789abcdef0" {
				t.Errorf("%s dimensions %v, want InstanceId i-0123456789abcdef0", m.MetricName, m.Dimensions)
			}
			byName[m.MetricName] = m
		}
		return byName, stats
	}

	first, stats := publish("     bw_in_allowance_exceeded: 0\n     bw_out_allowance_exceeded: 5\n     pps_allowance_exceeded: 2\n     conntrack_allowance_available: 90000\n")
	if stats.Count == 0 {
		t.Fatal("the NAT's table is empty after 300 UDP flows")
	}
	if got := first[compute.MetricConntrackCount].Value; int(got) != stats.Count {
		t.Errorf("%s = %v, the NAT's table holds %d", compute.MetricConntrackCount, got, stats.Count)
	}
	wantPercent := 100 * float64(stats.Count) / float64(stats.Max)
	if got := first[compute.MetricConntrackUsedPercent]; math.Abs(got.Value-wantPercent) > 0.051 || got.Unit != "Percent" {
		t.Errorf("%s = %v %s, want %v Percent (%d of %d)", compute.MetricConntrackUsedPercent, got.Value, got.Unit, wantPercent, stats.Count, stats.Max)
	}
	if first[compute.MetricConntrackDrops].Value != 0 || first[compute.MetricAllowanceExceeded].Value != 0 {
		t.Errorf("first run published growth %v drops, %v allowance; nothing to compare with yet",
			first[compute.MetricConntrackDrops].Value, first[compute.MetricAllowanceExceeded].Value)
	}
	second, _ := publish("     bw_in_allowance_exceeded: 0\n     bw_out_allowance_exceeded: 7\n     pps_allowance_exceeded: 10\n     conntrack_allowance_available: 80000\n")
	if got := second[compute.MetricAllowanceExceeded]; got.Value != 10 || got.Unit != "Count" {
		t.Errorf("%s = %v %s after the counters grew by 2 and 8, want 10 Count", compute.MetricAllowanceExceeded, got.Value, got.Unit)
	}
}

// Benchmarks of the NAT against plain routing on the same rig (sudo go test -run '^$' -bench
// Capacity ./capacity); labtwin -bench prints the full set of figures.
func BenchmarkCapacityNewConnections(b *testing.B) {
	benchmarkModes(b, func(b *testing.B, r *Rig) {
		rate, err := r.ConnectRate(context.Background(), time.Minute, b.N)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, "conns/s")
	})
}

func BenchmarkCapacityShortUDPFlows(b *testing.B) {
	benchmarkModes(b, func(b *testing.B, r *Rig) {
		res, err := r.ShortUDPFlows(context.Background(), b.N)
		if err != nil {
			b.Fatal(err)
		}
		if res.Answered != b.N {
			b.Fatalf("%d of %d flows answered", res.Answered, b.N)
		}
		b.ReportMetric(res.PerSecond, "flows/s")
	})
}

func benchmarkModes(b *testing.B, fn func(*testing.B, *Rig)) {
	if err := available(); err != nil {
		b.Skipf("capacity rig not run: %v", err)
	}
	for _, mode := range []RigMode{PlainRouting, NATBootScript} {
		b.Run(strings.ReplaceAll(string(mode), " ", "_"), func(b *testing.B) {
			r := newRig(b, mode)
			b.ResetTimer()
			fn(b, r)
		})
	}
}
