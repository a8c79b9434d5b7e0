package capacity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"nat-instance/netns"
)

// Every load generator below is bounded in count and in time, stops by itself, and talks only
// between the rig's own namespaces (the client and the rig's internet hosts).

// loadWorkers is how many goroutines, each on a thread inside the client's namespace, open
// connections at once.
const loadWorkers = 8

// rigPorts are the TCP ports each internet host of the rig listens on.
var rigPorts = []uint16{8080, 8443}

// dialTimeout bounds each connection attempt (and each UDP exchange) of a load generator.
const dialTimeout = 2 * time.Second

// HoldResult is the outcome of holding many TCP connections open at once.
type HoldResult struct {
	Requested, Established, Accepted int
	// Translated counts accepted connections that came from the NAT's address, not the client's.
	Translated int
	// Offloaded counts the NAT's entries marked [OFFLOAD], on a rig with the fast path.
	Offloaded int
	// Stats is the NAT's table while every connection is open.
	Stats   ConntrackStats
	Elapsed time.Duration
}

// HoldTCP opens n TCP connections from the private host to the rig's internet hosts (every
// address and port in turn), keeps them all open, counts them on both ends and reads the NAT's
// table, then closes them.
func (r *Rig) HoldTCP(ctx context.Context, n int) (HoldResult, error) {
	res := HoldResult{Requested: n}
	// Connections wait in the accept queues: let each hold all of them.
	if err := netns.Sysctl(ctx, r.server(), fmt.Sprintf("net.core.somaxconn=%d", acceptQueue)); err != nil {
		return res, err
	}
	stop, err := r.listenWithoutAccept()
	defer stop()
	if err != nil {
		return res, err
	}
	start := time.Now()
	children, established, err := startHolders(ctx, r.client(), n, rigDestinations())
	if children != nil {
		defer children.stop()
	}
	res.Established, res.Elapsed = established, time.Since(start)
	if err != nil {
		return res, err
	}
	if res.Accepted, res.Translated, err = r.serverConnections(ctx); err != nil {
		return res, err
	}
	if res.Stats, err = r.Stats(ctx); err != nil || r.mode != NATFastPath {
		return res, err
	}
	res.Offloaded, err = r.OffloadedEntries(ctx)
	return res, err
}

// acceptQueue is the backlog of each internet host listener in HoldTCP.
const acceptQueue = 65535

// listenWithoutAccept listens on every internet host address and port of the rig and accepts
// nothing: the kernel completes the handshakes, and the connections need no file in this process.
func (r *Rig) listenWithoutAccept() (stop func(), err error) {
	var fds []int
	stop = func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	for _, dest := range rigDestinations() {
		err := netns.Within(r.server(), func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			fds = append(fds, fd)
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(dest.Port()), Addr: dest.Addr().As4()}); err != nil {
				return err
			}
			return unix.Listen(fd, acceptQueue)
		})
		if err != nil {
			return stop, fmt.Errorf("listen on %s: %w", dest, err)
		}
	}
	return stop, nil
}

// serverConnections counts the internet hosts' established TCP connections, and those whose
// peer is the NAT's address (translated), with ss.
func (r *Rig) serverConnections(ctx context.Context) (established, translated int, err error) {
	out, err := netns.Exec(ctx, r.server(), "ss", "-Htn", "state", "established")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		established++
		if peer, err := netip.ParseAddrPort(f[len(f)-1]); err == nil && peer.Addr() == rigNAT {
			translated++
		}
	}
	return established, translated, nil
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
	err = inWorkers(r.client(), func(w int) error {
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
	err := netns.Within(r.server(), func() (err error) {
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
	err = inWorkers(r.client(), func(int) error {
		query, answer := []byte("query: example.com. IN A"), make([]byte, 512)
		for next.Add(1) <= int64(n) && ctx.Err() == nil {
			c, err := net.Dial("udp4", server)
			if err != nil {
				return err
			}
			_ = c.SetDeadline(time.Now().Add(dialTimeout))
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
	ctx, cancel := context.WithTimeout(ctx, d+netns.CommandTimeout)
	defer cancel()
	server := exec.CommandContext(ctx, "ip", "netns", "exec", r.server(), "iperf3", "-s", "-1", "--forceflush", "-B", RigServers[0].String())
	server.SysProcAttr = netns.DiesWithParent()
	stdout, err := server.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := server.Start(); err != nil {
		return 0, fmt.Errorf("iperf3 server: %w", err)
	}
	defer func() { _ = server.Process.Kill(); _ = server.Wait() }()
	select {
	case <-netns.WhenLineContains(stdout, "listening"):
	case <-ctx.Done():
		return 0, errors.New("iperf3 server did not start")
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", r.client(), "iperf3", "-J",
		"-c", RigServers[0].String(), "-t", fmt.Sprint(int(d.Seconds())))
	cmd.SysProcAttr = netns.DiesWithParent()
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
		err := netns.Within(r.server(), func() (err error) {
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

// inWorkers runs loadWorkers copies of fn at once, each on a thread inside namespace ns, so the
// sockets they open belong to it.
func inWorkers(ns string, fn func(worker int) error) error {
	errs := make([]error, loadWorkers)
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() { errs[w] = netns.Within(ns, func() error { return fn(w) }) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
