package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"nat-instance/netns"
)

// BenchOptions bound a capacity measurement.
type BenchOptions struct {
	// Connections held open at once through the NAT.
	Connections int
	// UDPFlows is how many short UDP exchanges run through the NAT.
	UDPFlows int
	// Duration of each rate and throughput measurement, and how many rounds of them.
	Duration time.Duration
	Rounds   int
}

// DefaultBench is what `labtwin -bench` measures.
var DefaultBench = BenchOptions{Connections: 50000, UDPFlows: 20000, Duration: 3 * time.Second, Rounds: 3}

// RunBench measures the NAT running boot against plain routing on capacity rigs and writes the
// figures to w: connections held at once, new connections per second, bulk TCP throughput with
// and without the fast path, and short UDP flows.
func RunBench(ctx context.Context, boot netns.BootCommand, opts BenchOptions, w io.Writer) error {
	fmt.Fprintf(w, "capacity of one NAT instance (boot script from the program), %d CPU(s), %s/%s\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	withRig := func(mode RigMode, fn func(*Rig) error) error {
		r, err := NewRig(ctx, boot, mode)
		if err != nil {
			return err
		}
		return errors.Join(fn(r), r.Close())
	}

	err := withRig(NATBootScript, func(r *Rig) error {
		res, err := r.HoldTCP(ctx, opts.Connections)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "concurrent TCP: %d requested, %d established, %d accepted (%d from the NAT's address), NAT table %d of %d, drops %d, opened in %.1f s\n",
			res.Requested, res.Established, res.Accepted, res.Translated, res.Stats.Count, res.Stats.Max,
			res.Stats.Drop+res.Stats.EarlyDrop+res.Stats.InsertFailed, res.Elapsed.Seconds())
		return nil
	})
	if err == nil {
		err = withRig(NATBootScript, func(r *Rig) error {
			udp, err := r.ShortUDPFlows(ctx, opts.UDPFlows)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "short UDP flows: %d of %d answered, %.0f flows/s, NAT table %d afterwards, drops %d\n",
				udp.Answered, udp.Flows, udp.PerSecond, udp.Stats.Count, udp.Stats.Drop+udp.Stats.EarlyDrop+udp.Stats.InsertFailed)
			return nil
		})
	}
	if err != nil {
		return err
	}

	// Rates and throughput: one rig per mode, all up at once, measured in alternation for a few
	// rounds, the median kept, so that load from elsewhere on the machine hits every mode alike.
	rigs := map[RigMode]*Rig{}
	defer func() {
		for _, r := range rigs {
			r.Close()
		}
	}()
	for _, mode := range []RigMode{PlainRouting, NATBootScript, NATFastPath} {
		r, err := NewRig(ctx, boot, mode)
		if errors.Is(err, ErrNoFlowtable) {
			fmt.Fprintf(w, "fast path not measured: %v\n", ErrNoFlowtable)
			continue
		}
		if err != nil {
			return err
		}
		rigs[mode] = r
	}
	if r := rigs[NATFastPath]; r != nil {
		// Offloaded flows keep their conntrack entries, marked [OFFLOAD]: state sync
		// (conntrackd) still sees them.
		res, err := r.HoldTCP(ctx, 1000)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "fast path: %d connections open, NAT table %d, of which [OFFLOAD] %d\n",
			res.Established, res.Stats.Count, res.Offloaded)
	}
	rateRuns, throughputRuns := map[RigMode][]float64{}, map[RigMode][]float64{}
	for range opts.Rounds {
		for _, mode := range []RigMode{PlainRouting, NATBootScript, NATFastPath} {
			r := rigs[mode]
			if r == nil {
				continue
			}
			rate, err := r.ConnectRate(ctx, opts.Duration, 1_000_000)
			if err != nil {
				return fmt.Errorf("%s: new connections: %w", mode, err)
			}
			bps, err := r.Throughput(ctx, opts.Duration)
			if err != nil {
				return fmt.Errorf("%s: throughput: %w", mode, err)
			}
			rateRuns[mode], throughputRuns[mode] = append(rateRuns[mode], rate), append(throughputRuns[mode], bps)
		}
	}
	rates, throughput := medians(rateRuns), medians(throughputRuns)
	fmt.Fprintf(w, "median of %d rounds of %v each:\n", opts.Rounds, opts.Duration)
	for _, mode := range []RigMode{PlainRouting, NATBootScript, NATFastPath} {
		if _, measured := throughput[mode]; !measured {
			continue
		}
		fmt.Fprintf(w, "  %-18s new TCP connections %6.0f/s (%.2fx plain routing), bulk TCP one stream %5.2f Gbit/s (%.2fx)\n",
			mode+":", rates[mode], rates[mode]/rates[PlainRouting], throughput[mode]/1e9, throughput[mode]/throughput[PlainRouting])
	}
	return nil
}

func medians(runs map[RigMode][]float64) map[RigMode]float64 {
	out := map[RigMode]float64{}
	for mode, values := range runs {
		sorted := slices.Sorted(slices.Values(values))
		out[mode] = sorted[len(sorted)/2]
	}
	return out
}
