package twin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Every load generator below is bounded in count and in time, stops by itself, and talks only
// between the rig's own namespaces (the client and the rig's internet hosts).

// loadWorkers is how many goroutines, each on a thread inside the client's namespace, open
// connections at once.
const loadWorkers = 8

// rigPorts are the TCP ports each internet host of the rig listens on.
var rigPorts = []uint16{8080, 8443}

// dialTimeout bounds each connection attempt of a load generator.
const dialTimeout = 2 * time.Second

// HoldResult is the outcome of holding many TCP connections open at once.
type HoldResult struct {
	Requested, Established, Accepted int
	// Translated counts accepted connections that came from the NAT's address, not the client's.
	Translated int
	// Stats is the NAT's table while every connection is open.
	Stats   ConntrackStats
	Elapsed time.Duration
}

// HoldTCP opens n TCP connections from the private host to the rig's internet hosts (every
// address and port in turn), keeps them all open, reads the NAT's table, then closes them.
func (r *Rig) HoldTCP(ctx context.Context, n int) (HoldResult, error) {
	res := HoldResult{Requested: n}
	// Both ends of every connection live in this process.
	if err := raiseOpenFiles(uint64(2*n + 4096)); err != nil {
		return res, err
	}
	var (
		mu       sync.Mutex
		accepted []net.Conn
	)
	stop, err := r.serveTCP(func(c net.Conn) {
		mu.Lock()
		accepted = append(accepted, c)
		mu.Unlock()
	})
	defer func() {
		stop()
		mu.Lock()
		for _, c := range accepted {
			c.Close()
		}
		mu.Unlock()
	}()
	if err != nil {
		return res, err
	}
	start := time.Now()
	dests := rigDestinations()
	conns, err := r.dialMany(ctx, n, func(i int) netip.AddrPort { return dests[i%len(dests)] })
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	res.Established = len(conns)
	res.Elapsed = time.Since(start)
	// The server may still be accepting the last few; wait a bounded moment for it.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		done := len(accepted) >= res.Established
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	res.Accepted = len(accepted)
	for _, c := range accepted {
		if c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap() == rigNAT {
			res.Translated++
		}
	}
	mu.Unlock()
	res.Stats, err = r.Stats(ctx)
	return res, err
}

// ConnectRate opens and closes TCP connections from the private host to the internet hosts for
// d (at most limit of them) and returns how many completed per second. The server closes first,
// so TIME_WAIT stays on its side and the client never runs out of source ports.
func (r *Rig) ConnectRate(ctx context.Context, d time.Duration, limit int) (float64, error) {
	stop, err := r.serveTCP(func(c net.Conn) { c.Close() })
	defer stop()
	if err != nil {
		return 0, err
	}
	dests := rigDestinations()
	var done, failed atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	err = r.inClientWorkers(func(w int) error {
		dialer := net.Dialer{Timeout: dialTimeout}
		buf := make([]byte, 1)
		for i := w; time.Now().Before(deadline) && done.Load() < int64(limit) && ctx.Err() == nil; i += loadWorkers {
			c, err := dialer.DialContext(ctx, "tcp4", dests[i%len(dests)].String())
			if err != nil {
				failed.Add(1)
				continue
			}
			_ = c.SetReadDeadline(time.Now().Add(dialTimeout))
			_, _ = c.Read(buf) // EOF once the server closed
			c.Close()
			done.Add(1)
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	if f := failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d of %d connections failed", f, f+done.Load())
	}
	return float64(done.Load()) / elapsed.Seconds(), nil
}

// UDPResult is the outcome of many short UDP flows.
type UDPResult struct {
	Flows, Answered int
	PerSecond       float64
	Stats           ConntrackStats
}

// ShortUDPFlows sends n DNS-like exchanges from the private host, each from a new socket (a new
// flow through the NAT): one small query, one answer from the internet host's echo on port 53.
func (r *Rig) ShortUDPFlows(ctx context.Context, n int) (UDPResult, error) {
	res := UDPResult{Flows: n}
	var pc net.PacketConn
	err := inNamespace(r.server(), func() (err error) {
		pc, err = net.ListenPacket("udp4", netip.AddrPortFrom(RigServers[0], 53).String())
		return err
	})
	if err != nil {
		return res, err
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:k], from)
		}
	}()
	var answered, next atomic.Int64
	server := netip.AddrPortFrom(RigServers[0], 53).String()
	start := time.Now()
	err = r.inClientWorkers(func(int) error {
		query, answer := []byte("query: example.com. IN A"), make([]byte, 512)
		for next.Add(1) <= int64(n) && ctx.Err() == nil {
			c, err := net.Dial("udp4", server)
			if err != nil {
				return err
			}
			_ = c.SetDeadline(time.Now().Add(time.Second))
			if _, err := c.Write(query); err == nil {
				if _, err := c.Read(answer); err == nil {
					answered.Add(1)
				}
			}
			c.Close()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Answered = int(answered.Load())
	res.PerSecond = float64(res.Answered) / time.Since(start).Seconds()
	res.Stats, err = r.Stats(ctx)
	return res, err
}

// Throughput runs iperf3 for d from the private host to the first internet host (one TCP
// stream) and returns what the receiver got, in bits per second.
func (r *Rig) Throughput(ctx context.Context, d time.Duration) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+commandTimeout)
	defer cancel()
	server := exec.CommandContext(ctx, "ip", "netns", "exec", r.server(), "iperf3", "-s", "-1", "-B", RigServers[0].String())
	server.SysProcAttr = diesWithUs()
	stdout, err := server.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := server.Start(); err != nil {
		return 0, fmt.Errorf("iperf3 server: %w", err)
	}
	defer func() { _ = server.Process.Kill(); _ = server.Wait() }()
	listening := make(chan struct{})
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), "listening") {
				close(listening)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-listening:
	case <-ctx.Done():
		return 0, errors.New("iperf3 server did not start")
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", r.client(), "iperf3", "-J",
		"-c", RigServers[0].String(), "-t", fmt.Sprint(int(d.Seconds())))
	cmd.SysProcAttr = diesWithUs()
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("iperf3 client: %w: %s", err, out)
	}
	var report struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		return 0, fmt.Errorf("iperf3 report: %w", err)
	}
	return report.End.SumReceived.BitsPerSecond, nil
}

func rigDestinations() []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range RigServers {
		for _, p := range rigPorts {
			out = append(out, netip.AddrPortFrom(a, p))
		}
	}
	return out
}

// serveTCP listens on every internet host address and port of the rig and hands each accepted
// connection to handle, until stop.
func (r *Rig) serveTCP(handle func(net.Conn)) (stop func(), err error) {
	var listeners []net.Listener
	stop = func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for _, dest := range rigDestinations() {
		var l net.Listener
		err := inNamespace(r.server(), func() (err error) {
			lc := net.ListenConfig{}
			l, err = lc.Listen(context.Background(), "tcp4", dest.String())
			return err
		})
		if err != nil {
			return stop, fmt.Errorf("listen on %s: %w", dest, err)
		}
		listeners = append(listeners, l)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				handle(c)
			}
		}()
	}
	return stop, nil
}

// dialMany opens n connections from the client namespace, to dest(i) for the i-th, and returns
// those that were established.
func (r *Rig) dialMany(ctx context.Context, n int, dest func(int) netip.AddrPort) ([]net.Conn, error) {
	var (
		mu    sync.Mutex
		conns []net.Conn
		errs  []error
	)
	err := r.inClientWorkers(func(w int) error {
		dialer := net.Dialer{Timeout: dialTimeout}
		for i := w; i < n && ctx.Err() == nil; i += loadWorkers {
			c, err := dialer.DialContext(ctx, "tcp4", dest(i).String())
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			} else {
				conns = append(conns, c)
			}
			mu.Unlock()
		}
		return nil
	})
	if len(errs) > 0 {
		err = errors.Join(err, fmt.Errorf("%d connection(s) failed, first: %w", len(errs), errs[0]))
	}
	return conns, err
}

// inClientWorkers runs loadWorkers copies of fn at once, each on a thread inside the client's
// namespace, so the sockets they open belong to the private host.
func (r *Rig) inClientWorkers(fn func(worker int) error) error {
	errs := make([]error, loadWorkers)
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() { errs[w] = inNamespace(r.client(), func() error { return fn(w) }) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// raiseOpenFiles lifts this process's open-file limit to at least n (root may raise the hard
// limit up to fs.nr_open); it changes nothing outside this process.
func raiseOpenFiles(n uint64) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	lim.Cur = n
	lim.Max = max(lim.Max, n)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise the open-file limit to %d for the connections' both ends: %w", n, err)
	}
	return nil
}
