package twin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Flows where the internet host speaks last: after a NAT pair's takeover its packets are the
// first of the flow to reach the new member, through an interface that never tracked the flow.
// pollHost holds a TCP request on flowPort until the check asks it to answer (a long poll), and
// keeps sending datagrams on udpPort to whoever sent it one (a UDP push). Both sides of a flow
// run in this process: the flow's token names it to the internet host's side.
var pollHost = netip.MustParseAddr("198.51.100.12")

// serverHooks holds, per flow token, what the internet host does when the flow asks: answer the
// long poll, or stop pushing.
var serverHooks sync.Map // uint64 -> func()

// callServer runs, once, what the internet host holds for a flow: it answers the long poll, or
// stops the push.
func callServer(token uint64) {
	if hook, ok := serverHooks.LoadAndDelete(token); ok {
		hook.(func())()
	}
}

func newToken() uint64 { return rand.Uint64() | 1 } // never 0, the token of flows without one

func tokenSeed(token uint64) [32]byte {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], token)
	return seed
}

// serveLongPoll reads each client's token and, once asked (callServer), sends it one chunk of the
// pseudo-random stream its token seeds.
func serveLongPoll(l net.Listener) {
	serveEach(l, func(c net.Conn) {
		var token [8]byte
		if _, err := io.ReadFull(c, token[:]); err != nil {
			return
		}
		asked := make(chan struct{})
		serverHooks.Store(binary.BigEndian.Uint64(token[:]), func() { close(asked) })
		<-asked
		_, _ = io.CopyN(c, rand.NewChaCha8(tokenSeed(binary.BigEndian.Uint64(token[:]))), flowChunk)
	})
}

// serveUDPPush starts, for each token it receives, pushing the address it came from back to it
// every flowPace, until asked to stop (callServer) or the socket closes.
func serveUDPPush(c net.PacketConn) {
	buf := make([]byte, 64)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		if n != 8 {
			continue
		}
		stop := make(chan struct{})
		if _, pushing := serverHooks.LoadOrStore(binary.BigEndian.Uint64(buf[:8]), func() { close(stop) }); pushing {
			continue // a resent first datagram
		}
		go func() {
			for {
				if _, err := c.WriteTo([]byte(from.String()), from); errors.Is(err, net.ErrClosed) {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(flowPace):
				}
			}
		}()
	}
}

// openLongPoll sends a long poll's request and waits until the internet host holds it.
func (t *Twin) openLongPoll(f *Flow) error {
	f.token = newToken()
	f.rng = rand.NewChaCha8(tokenSeed(f.token))
	var err error
	if f.conn, err = t.dialWithin(f.From, netip.Addr{}, netip.AddrPortFrom(pollHost, flowPort), f.patience); err != nil {
		return err
	}
	var token [8]byte
	binary.BigEndian.PutUint64(token[:], f.token)
	if _, err := f.conn.Write(token[:]); err != nil {
		return err
	}
	return pollEvery(context.Background(), f.patience, 10*time.Millisecond, func() bool {
		_, held := serverHooks.Load(f.token)
		return held
	})
}

// openUDP opens a UDP flow: it asks the internet host (udp) or pollHost (udp push, with its token)
// and records the mapping of the first answer.
func (t *Twin) openUDP(f *Flow) error {
	to := netip.AddrPortFrom(InternetHost, udpPort)
	if f.Kind == kindUDPPush {
		f.token, to = newToken(), netip.AddrPortFrom(pollHost, udpPort)
	}
	if err := inNamespace(t.Namespace(f.From), func() (err error) {
		f.conn, err = net.Dial("udp4", to.String())
		return err
	}); err != nil {
		return err
	}
	return f.udpExchange(f.patience)
}

// udpRequest is what a UDP flow sends to ask: its token, for a push.
func (f *Flow) udpRequest() []byte {
	if f.Kind != kindUDPPush {
		return []byte("where am I")
	}
	return binary.BigEndian.AppendUint64(nil, f.token)
}

// pushed reads the next datagram the internet host pushed: it must name the mapping of the
// flow's first answer.
func (f *Flow) pushed() error {
	buf := make([]byte, 64)
	_ = f.conn.SetReadDeadline(time.Now().Add(f.patience))
	n, err := f.conn.Read(buf)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if got := string(buf[:n]); got != f.mapping {
		return fmt.Errorf("pushed to %s, but the mapping was %s", got, f.mapping)
	}
	f.Intact.Add(int64(n))
	return nil
}

// servePolls serves pollHost: long polls on flowPort, UDP pushes on udpPort. The returned function
// closes the UDP socket, which ends the pushes.
func (t *Twin) servePolls() (func(), error) {
	if err := t.listen(t.internet(), netip.AddrPortFrom(pollHost, flowPort), serveLongPoll); err != nil {
		return nil, err
	}
	var udp net.PacketConn
	if err := inNamespace(t.internet(), func() (err error) {
		udp, err = net.ListenPacket("udp4", netip.AddrPortFrom(pollHost, udpPort).String())
		return err
	}); err != nil {
		return nil, err
	}
	go serveUDPPush(udp)
	return func() { udp.Close() }, nil
}
