package twin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The fault matrix's services, on ports the security groups let through (HTTPS, any UDP): the
// internet host echoes TCP streams on flowPort and tells UDP senders their address on udpPort;
// downloadHost sends on flowPort a pseudo-random stream, seeded by the byte the client sends;
// pollHost speaks only when the check says so (serverspeaks.go).
const (
	flowPort = 443
	udpPort  = 7
)

var downloadHost = netip.MustParseAddr("198.51.100.11")

// flowChunk is what a flow sends at a time (its patience: Options.flowPatience).
// flowPace is how often a busy flow moves a chunk: often enough that every flow has data moving
// through a takeover, which lasts seconds, and no more (each chunk crosses a dozen namespaces, and
// every check of the machine has flows). The download service sends at that pace while its
// clients read as fast as they can, so that they never wait for window space and send nothing but
// the ACKs of what they receive.
const (
	flowChunk = 4096
	flowPace  = 50 * time.Millisecond
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

// serveDownload sends each client the stream of its seed, a chunk every flowPace, until the
// client goes away.
func serveDownload(l net.Listener) {
	serveEach(l, func(c net.Conn) {
		seed := make([]byte, 1)
		if _, err := io.ReadFull(c, seed); err != nil {
			return
		}
		stream := rand.NewChaCha8([32]byte{seed[0]})
		for {
			if _, err := io.CopyN(c, stream, flowChunk); err != nil {
				return
			}
			time.Sleep(flowPace)
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

// Flow kinds: who speaks, and when. A takeover must keep every kind, those where only the server
// speaks after it included (on AWS their packets reach the new member's interface first).
const (
	kindUpload   = "upload"    // the client sends all the time and reads its bytes echoed back
	kindDownload = "download"  // the server sends all the time; the client sends one byte, then only ACKs
	kindIdle     = "idle"      // one exchange before the fault and one after, the client speaking first
	kindLongPoll = "long poll" // the client asks before the fault; the server answers only after it
	kindUDP      = "udp"       // the client asks all the time, the server answers with the mapping it saw
	kindUDPPush  = "udp push"  // the client asks once; the server keeps sending to the mapping
)

// flowKinds lists the kinds in the order reports show them.
var flowKinds = []string{kindUpload, kindDownload, kindIdle, kindLongPoll, kindUDP, kindUDPPush}

// busy reports whether a kind carries data all the time (a goroutine keeps it going). A UDP
// mapping that carries nothing is gone after 30 s (nat-instance-setup), so both UDP kinds are busy.
func busy(kind string) bool { return kind != kindIdle && kind != kindLongPoll }

// Flow is one established connection from a private instance to the internet host.
type Flow struct {
	From string
	Kind string
	// patience bounds a busy flow's wait for its echo; a quiet flow's after the fault is half.
	patience time.Duration
	conn     net.Conn
	rng      *rand.ChaCha8
	// token names a long poll or UDP push to the internet host's side (serverspeaks.go).
	token uint64

	Sent, Intact atomic.Int64 // bytes sent, bytes received back intact
	broken       atomic.Bool  // a busy flow stopped on an error
	mapping      string       // udp, udp push: the address the internet saw first
	Err          error
}

// exchange moves one chunk of the flow's pseudo-random stream and checks it byte for byte, within
// patience: an upload or idle flow sends it and reads the echo; a download or long poll only reads
// it.
func (f *Flow) exchange(patience time.Duration) error {
	want := make([]byte, flowChunk)
	_, _ = f.rng.Read(want)
	_ = f.conn.SetDeadline(time.Now().Add(patience))
	if f.Kind == kindUpload || f.Kind == kindIdle {
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

// udpExchange sends a datagram, again every 500 ms until an answer comes, at most patience: a
// datagram may be lost, the mapping is what counts. The first answer's mapping is the flow's;
// a later one must be the same.
func (f *Flow) udpExchange(patience time.Duration) error {
	buf := make([]byte, 64)
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); {
		_ = f.conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := f.conn.Write(f.udpRequest()); err != nil {
			return err
		}
		n, err := f.conn.Read(buf)
		switch {
		case err != nil:
			continue
		case f.mapping == "":
			f.mapping = string(buf[:n])
		case string(buf[:n]) != f.mapping:
			return fmt.Errorf("UDP mapping changed from %s to %s", f.mapping, buf[:n])
		}
		f.Intact.Add(int64(n))
		return nil
	}
	return fmt.Errorf("no UDP answer within %v", patience)
}

// step is one turn of a busy flow's goroutine.
func (f *Flow) step() error {
	switch f.Kind {
	case kindUDPPush:
		return f.pushed()
	case kindUDP:
		return f.udpExchange(f.patience)
	}
	return f.exchange(f.patience)
}

// last is a quiet flow's exchange after the fault: the client speaks again (idle), or the
// internet host answers what it was asked before (long poll).
func (f *Flow) last() error {
	if f.Kind == kindLongPoll {
		callServer(f.token)
	}
	return f.exchange(f.patience / 2)
}

// FlowSet keeps flows busy until Finish.
type FlowSet struct {
	Flows []*Flow
	stop  chan struct{}
	wg    sync.WaitGroup
	// after is what the busy flows had received when WaitProgress was last asked for more: each
	// must have received more by Finish.
	after map[*Flow]int64
}

// OpenFlows opens from the private instances p serves (round robin) busy TCP flows (half uploads
// echoed back, half downloads) and quiet ones (half idle, half long polls) to the internet host,
// and per private instance a UDP flow the client speaks in and one the server pushes to; every
// flow has spoken once before it returns.
func (t *Twin) OpenFlows(ctx context.Context, p Pair, bulk, idle int) (*FlowSet, error) {
	privates := t.servedBy(p)
	set := &FlowSet{stop: make(chan struct{})}
	for i := range bulk + idle + 2*len(privates) {
		f := &Flow{From: privates[i%len(privates)].Name, Kind: kindUpload, rng: rand.NewChaCha8([32]byte{byte(i)}), patience: t.opts.flowPatience()}
		var err error
		switch {
		case i >= bulk+idle:
			f.Kind, f.From = kindUDP, privates[(i-bulk-idle)/2].Name
			if (i-bulk-idle)%2 == 1 {
				f.Kind = kindUDPPush
			}
			err = t.openUDP(f)
		case i >= bulk && (i-bulk)%2 == 1:
			f.Kind = kindLongPoll
			err = t.openLongPoll(f)
		default:
			to := InternetHost
			switch {
			case i >= bulk:
				f.Kind = kindIdle
			case i%2 == 1:
				f.Kind, to = kindDownload, downloadHost
			}
			if f.conn, err = t.dialWithin(f.From, netip.Addr{}, netip.AddrPortFrom(to, flowPort), f.patience); err == nil && f.Kind == kindDownload {
				_, err = f.conn.Write([]byte{byte(i)})
			}
			if err == nil {
				err = f.exchange(f.patience)
			}
		}
		if err != nil {
			set.Flows = append(set.Flows, f)
			set.Close()
			return nil, fmt.Errorf("flow %d (%s from %s): %w", i, f.Kind, f.From, err)
		}
		set.Flows = append(set.Flows, f)
	}
	for _, f := range set.Flows {
		if busy(f.Kind) {
			set.wg.Go(func() { set.keepBusy(f) })
		}
	}
	t.logf("opened %d busy TCP flows (half uploads to %s, half downloads from %s), %d quiet ones (half idle, half long polls to %s) on port %d, and per private instance a UDP flow to %s and one %s pushes to (%d)",
		bulk, InternetHost, downloadHost, idle, pollHost, flowPort, InternetHost, pollHost, len(privates))
	return set, nil
}

// keepBusy runs a busy flow until Finish: an upload or a UDP flow sends every flowPace, the
// others read what comes. An error is the flow's, unless Finish interrupted it.
func (s *FlowSet) keepBusy(f *Flow) {
	pause := time.Duration(0)
	if f.Kind == kindUpload || f.Kind == kindUDP {
		pause = flowPace
	}
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(pause):
		}
		if err := f.step(); err != nil {
			select {
			case <-s.stop:
			default:
				f.Err = err
				f.broken.Store(true)
			}
			return
		}
	}
}

// Progress is what every busy flow has received intact so far.
func (s *FlowSet) Progress() map[*Flow]int64 {
	out := map[*Flow]int64{}
	for _, f := range s.Flows {
		out[f] = f.Intact.Load()
	}
	return out
}

// WaitProgress waits until every busy flow still alive has received more than in since, and more
// than when it is called (a flow may still have moved between a snapshot and the fault), at most
// limit; Finish then counts a busy flow that has not as lost.
func (s *FlowSet) WaitProgress(ctx context.Context, since map[*Flow]int64, limit time.Duration) error {
	after := s.Progress()
	for f, n := range since {
		after[f] = max(after[f], n)
	}
	s.after = after
	return poll(ctx, limit, func() bool {
		for _, f := range s.Flows {
			if busy(f.Kind) && f.Intact.Load() <= after[f] && !f.broken.Load() {
				return false
			}
		}
		return true
	})
}

// Finish stops the busy flows, gives every quiet flow its exchange after the fault (all at once:
// a lost one waits f.patience/2, as does a lost upload), and closes everything. It returns what
// survived.
func (s *FlowSet) Finish() FlowReport {
	close(s.stop)
	var quiet sync.WaitGroup
	for _, f := range s.Flows {
		switch {
		case f.Kind == kindUpload:
			// A busy flow is judged by what it received; an upload first gets its echo back (a
			// live one at once), or what it sent would count as lost.
			_ = f.conn.SetDeadline(time.Now().Add(f.patience / 2))
		case busy(f.Kind):
			f.conn.Close()
		default:
			quiet.Go(func() { f.Err = f.last() })
		}
	}
	s.wg.Wait()
	quiet.Wait()
	for f, since := range s.after {
		if busy(f.Kind) && f.Err == nil && f.Intact.Load() <= since {
			f.Err = fmt.Errorf("received nothing more after the fault (%d bytes before)", since)
		}
	}
	r := FlowReport{ByKind: map[string][2]int{}}
	for _, f := range s.Flows {
		r.Total++
		count := r.ByKind[f.Kind]
		count[1]++
		if f.Err == nil {
			r.Survived++
			count[0]++
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%s flow from %s: %v", f.Kind, f.From, f.Err))
		}
		r.ByKind[f.Kind] = count
		r.BytesIntact += f.Intact.Load()
		if f.Kind == kindUpload || f.Kind == kindIdle {
			r.BytesLost += f.Sent.Load() - f.Intact.Load()
		}
	}
	s.Close()
	return r
}

// Close closes every flow's socket and releases what the internet host holds for them.
func (s *FlowSet) Close() {
	for _, f := range s.Flows {
		if f.conn != nil {
			f.conn.Close()
		}
		callServer(f.token)
	}
}

// FlowReport says how the flows came through. BytesLost counts what uploads sent and never got
// back; a flow that only receives and breaks shows as a failed flow (what it missed is unknown).
type FlowReport struct {
	Total, Survived        int
	ByKind                 map[string][2]int // survived, total
	BytesLost, BytesIntact int64
	Failures               []string
}

func (r FlowReport) String() string {
	var kinds []string
	for _, k := range flowKinds {
		if c, ok := r.ByKind[k]; ok {
			kinds = append(kinds, fmt.Sprintf("%s %d/%d", k, c[0], c[1]))
		}
	}
	return fmt.Sprintf("%d of %d flows survived (%.0f %%: %s), %d bytes received intact, %d bytes lost",
		r.Survived, r.Total, 100*float64(r.Survived)/float64(max(r.Total, 1)), strings.Join(kinds, ", "), r.BytesIntact, r.BytesLost)
}

// Err fails unless every flow survived with nothing lost.
func (r FlowReport) Err() error {
	if r.Survived == r.Total && r.BytesLost == 0 {
		return nil
	}
	return fmt.Errorf("flows: %s: %v", r, r.Failures)
}
