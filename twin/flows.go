package twin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// The fault matrix's services, on ports the security groups let through (HTTPS, any UDP): the
// internet host echoes TCP streams on flowPort and tells UDP senders their address on udpPort;
// downloadHost sends on flowPort a pseudo-random stream, seeded by the byte the client sends.
const (
	flowPort = 443
	udpPort  = 7
)

var downloadHost = netip.MustParseAddr("198.51.100.11")

// flowChunk is what a flow sends at a time; flowPatience bounds how long a flow waits for its
// echo: more than failoverLimit, since TCP's retransmission backoff (doubling from 200 ms) can
// add as much again as the stall lasted. A survivor waits far less; only a broken flow waits it out.
const (
	flowChunk    = 4096
	flowPatience = 2 * failoverLimit
)

// serveEach serves every connection of l with handle, each in its own goroutine, and closes it.
func serveEach(l net.Listener, handle func(net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}

// serveEcho echoes every TCP stream back.
func serveEcho(l net.Listener) {
	serveEach(l, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// serveDownload sends each client the stream of its seed until the client goes away.
func serveDownload(l net.Listener) {
	serveEach(l, func(c net.Conn) {
		seed := make([]byte, 1)
		if _, err := io.ReadFull(c, seed); err == nil {
			_, _ = io.Copy(c, rand.NewChaCha8([32]byte{seed[0]}))
		}
	})
}

// serveUDPAddress answers every datagram with the address and port it came from: a flow's
// mapping at the NAT, as the internet sees it.
func serveUDPAddress(c net.PacketConn) {
	buf := make([]byte, 64)
	for {
		_, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = c.WriteTo([]byte(from.String()), from)
	}
}

// Flow is one established connection from a private instance to the internet host.
type Flow struct {
	From string
	Kind string // "bulk" (sends all the time), "download" (receives all the time), "idle" (once before, once after), "udp"
	conn net.Conn
	rng  *rand.ChaCha8

	Sent, Intact atomic.Int64 // bytes sent, bytes received back intact
	broken       atomic.Bool  // a bulk flow stopped on an error
	Mappings     []string     // udp: the address the internet saw, per exchange
	Err          error
}

// exchange sends one chunk of the flow's pseudo-random stream and checks the echo byte for byte;
// a download only receives the next chunk of its stream and checks it.
func (f *Flow) exchange() error {
	want := make([]byte, flowChunk)
	_, _ = f.rng.Read(want)
	_ = f.conn.SetDeadline(time.Now().Add(flowPatience))
	if f.Kind != "download" {
		if _, err := f.conn.Write(want); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		f.Sent.Add(flowChunk)
	}
	got := make([]byte, flowChunk)
	if _, err := io.ReadFull(f.conn, got); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: received bytes differ from those sent: corrupted stream", f.Kind)
	}
	f.Intact.Add(flowChunk)
	return nil
}

// udpExchange sends a datagram and records the mapping the internet host saw.
func (f *Flow) udpExchange() error {
	buf := make([]byte, 64)
	for range 10 { // a datagram may be lost; the mapping is what counts
		_ = f.conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := f.conn.Write([]byte("where am I")); err != nil {
			return err
		}
		n, err := f.conn.Read(buf)
		if err == nil {
			f.Mappings = append(f.Mappings, string(buf[:n]))
			return nil
		}
	}
	return errors.New("no UDP answer in 10 tries")
}

// FlowSet keeps flows busy until Stop.
type FlowSet struct {
	Flows []*Flow
	stop  chan struct{}
	wg    sync.WaitGroup
}

// OpenFlows opens from the private instances p serves (round robin) bulk TCP flows (half uploads echoed
// back, half downloads) and idle ones to the internet host, and one UDP flow each; every flow
// makes one exchange before it returns.
func (t *Twin) OpenFlows(ctx context.Context, p Pair, bulk, idle int) (*FlowSet, error) {
	privates := t.servedBy(p)
	set := &FlowSet{stop: make(chan struct{})}
	for i := range bulk + idle + len(privates) {
		f := &Flow{From: privates[i%len(privates)].Name, Kind: "bulk", rng: rand.NewChaCha8([32]byte{byte(i)})}
		to := InternetHost
		var err error
		switch {
		case i >= bulk+idle:
			f.Kind, f.From = "udp", privates[i-bulk-idle].Name
			err = inNamespace(t.Namespace(f.From), func() (err error) {
				f.conn, err = net.Dial("udp4", netip.AddrPortFrom(InternetHost, udpPort).String())
				return err
			})
			if err == nil {
				err = f.udpExchange()
			}
		default:
			if i >= bulk {
				f.Kind = "idle"
			} else if i%2 == 1 {
				f.Kind, to = "download", downloadHost
			}
			if f.conn, err = t.dialWithin(f.From, netip.Addr{}, netip.AddrPortFrom(to, flowPort), flowPatience); err == nil && f.Kind == "download" {
				_, err = f.conn.Write([]byte{byte(i)})
			}
			if err == nil {
				err = f.exchange()
			}
		}
		if err != nil {
			set.Close()
			return nil, fmt.Errorf("flow %d (%s from %s): %w", i, f.Kind, f.From, err)
		}
		set.Flows = append(set.Flows, f)
	}
	for _, f := range set.Flows {
		if f.Kind == "bulk" || f.Kind == "download" {
			set.wg.Go(func() {
				for {
					select {
					case <-set.stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
					if f.Err = f.exchange(); f.Err != nil {
						f.broken.Store(true)
						return
					}
				}
			})
		}
	}
	t.logf("opened %d bulk (half downloads from %s) and %d idle TCP flows to %s:%d, and %d UDP flow(s)",
		bulk, downloadHost, idle, InternetHost, flowPort, len(privates))
	return set, nil
}

// Progress is what every bulk flow has had echoed so far.
func (s *FlowSet) Progress() map[*Flow]int64 {
	out := map[*Flow]int64{}
	for _, f := range s.Flows {
		out[f] = f.Intact.Load()
	}
	return out
}

// WaitProgress waits until every bulk flow still alive has had more echoed than in since,
// at most limit.
func (s *FlowSet) WaitProgress(ctx context.Context, since map[*Flow]int64, limit time.Duration) error {
	return poll(ctx, limit, func() bool {
		for _, f := range s.Flows {
			if (f.Kind == "bulk" || f.Kind == "download") && f.Intact.Load() <= since[f] && !f.broken.Load() {
				return false
			}
		}
		return true
	})
}

// Finish stops the bulk flows, makes the idle and UDP flows exchange once more, and closes
// everything. It returns what survived.
func (s *FlowSet) Finish() FlowReport {
	close(s.stop)
	s.wg.Wait()
	var r FlowReport
	for _, f := range s.Flows {
		switch f.Kind {
		case "idle":
			f.Err = f.exchange()
		case "udp":
			if f.Err = f.udpExchange(); f.Err == nil && f.Mappings[0] != f.Mappings[len(f.Mappings)-1] {
				f.Err = fmt.Errorf("UDP mapping changed from %s to %s", f.Mappings[0], f.Mappings[len(f.Mappings)-1])
			}
		}
		r.Total++
		if f.Err == nil {
			r.Survived++
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%s flow from %s: %v", f.Kind, f.From, f.Err))
		}
		r.BytesIntact += f.Intact.Load()
		if f.Kind == "bulk" || f.Kind == "idle" {
			r.BytesLost += f.Sent.Load() - f.Intact.Load()
		}
	}
	s.Close()
	return r
}

// Close closes every flow's socket.
func (s *FlowSet) Close() {
	for _, f := range s.Flows {
		if f.conn != nil {
			f.conn.Close()
		}
	}
}

// FlowReport says how the flows came through. BytesLost counts what uploads sent and never got
// back; a download that breaks shows as a failed flow (what it missed is unknown).
type FlowReport struct {
	Total, Survived        int
	BytesLost, BytesIntact int64
	Failures               []string
}

func (r FlowReport) String() string {
	return fmt.Sprintf("%d of %d flows survived (%.0f %%), %d bytes received intact, %d bytes lost",
		r.Survived, r.Total, 100*float64(r.Survived)/float64(max(r.Total, 1)), r.BytesIntact, r.BytesLost)
}

// Err fails unless every flow survived with nothing lost.
func (r FlowReport) Err() error {
	if r.Survived == r.Total && r.BytesLost == 0 {
		return nil
	}
	return fmt.Errorf("flows: %s: %v", r, r.Failures)
}
