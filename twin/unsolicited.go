package twin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"nat-instance/natpair"
)

// probePort is where the unsolicited probe finds a listener (TCP, and UDP that answers) on the
// members and the private instances they serve: a packet that reaches one is answered, whatever
// filters it should have met on the way. The other ports probed have no listener, so a packet that reaches
// the host's stack is answered with a reset or an ICMP port unreachable.
const probePort = 9

// probedTCP and probedUDP are the ports probed: SSH, web, the sync port, the listener; DNS, the
// echo service, the sync port, the listener. A member or instance must answer none of them.
var (
	probedTCP = []uint16{22, 80, 443, natpair.SyncPort, probePort}
	probedUDP = []uint16{7, 53, natpair.SyncPort, probePort}
)

// checkNothingUnsolicited probes, from an internet address outside sshAllowedCidrs, every address
// of a pair the internet could aim at (its Elastic IP, each member's, the floating and member
// addresses) and the private instances it serves, on TCP, UDP and ICMP: nothing may answer, not
// even with a reset (the members drop, never reject). SSH from inside sshAllowedCidrs to each
// member's Elastic IP must still connect.
func checkNothingUnsolicited(ctx context.Context, t *Twin, p Pair) error {
	s, err := pairSettings(t.topo.Instances[t.instanceIndex(p.Members[0])].PairFiles)
	if err != nil {
		return err
	}
	var allowed []netip.Prefix
	for _, c := range strings.Fields(s["NAT_SSH_CIDRS"]) {
		prefix, err := netip.ParsePrefix(c)
		if err != nil {
			return fmt.Errorf("twin: NAT_SSH_CIDRS: %w", err)
		}
		allowed = append(allowed, prefix)
	}
	inside, outside := SSHProbeAddresses(allowed)
	eips, targets := []netip.Addr{p.ElasticIP}, []netip.Addr{p.FloatingIP}
	var hosts []string
	for _, m := range p.Members {
		inst := t.topo.Instances[t.instanceIndex(m)]
		eips, targets, hosts = append(eips, inst.ElasticIP), append(targets, inst.PrivateIP), append(hosts, m)
	}
	targets = append(eips, targets...)
	for _, inst := range t.servedBy(p) {
		targets, hosts = append(targets, inst.PrivateIP), append(hosts, inst.Name)
	}
	for _, h := range hosts {
		closeUDP, err := t.listenEverywhere(h)
		if err != nil {
			return err
		}
		defer closeUDP()
	}
	var mu sync.Mutex
	var reached []string
	var wg sync.WaitGroup
	probe := func(what string, answered func() error) {
		wg.Go(func() {
			if err := answered(); err != nil {
				mu.Lock()
				reached = append(reached, fmt.Sprintf("%s (%v)", what, err))
				mu.Unlock()
			}
		})
	}
	for _, to := range targets {
		for _, port := range probedTCP {
			probe(fmt.Sprintf("%s -> %s TCP %d", outside, to, port), func() error { return t.silentTCP(outside, to, port) })
		}
		for _, port := range probedUDP {
			probe(fmt.Sprintf("%s -> %s UDP %d", outside, to, port), func() error { return t.silentUDP(outside, to, port) })
		}
	}
	for _, eip := range eips {
		probe(fmt.Sprintf("ping %s", eip), func() error {
			if t.Ping(ctx, "", eip) == nil {
				return errors.New("echo reply")
			}
			return nil
		})
	}
	wg.Wait()
	t.logf("%d TCP and %d UDP probes from %s to %v, pings to %v: %d answered",
		len(targets)*len(probedTCP), len(targets)*len(probedUDP), outside, targets, eips, len(reached))
	errs := []error{}
	if len(reached) > 0 {
		errs = append(errs, fmt.Errorf("unsolicited packets from the internet were answered: %s", strings.Join(reached, "; ")))
	}
	if inside.IsValid() {
		for _, m := range p.Members {
			if err := t.TCPConnect("", inside, t.topo.Instances[t.instanceIndex(m)].ElasticIP, 22); err != nil {
				errs = append(errs, fmt.Errorf("%s refuses SSH from the allowed %s", m, inside))
			}
		}
	}
	return errors.Join(errs...)
}

// listenEverywhere opens on an instance the probe's listeners on every address: TCP, closed at
// once, and UDP, answered with the sender's address. It returns what closes the UDP one.
func (t *Twin) listenEverywhere(instance string) (func(), error) {
	ns := t.Namespace(instance)
	if err := t.listen(ns, netip.AddrPortFrom(netip.IPv4Unspecified(), probePort), serveSSH); err != nil {
		return nil, err
	}
	var c net.PacketConn
	if err := inNamespace(ns, func() (err error) {
		c, err = net.ListenPacket("udp4", netip.AddrPortFrom(netip.IPv4Unspecified(), probePort).String())
		return err
	}); err != nil {
		return nil, err
	}
	go serveUDPAddress(c)
	return func() { c.Close() }, nil
}

// silentTCP fails when a connection from the internet host's source to addr gets any answer: it
// is accepted, or refused with a reset.
func (t *Twin) silentTCP(source, to netip.Addr, port uint16) error {
	c, err := t.dial("", source, netip.AddrPortFrom(to, port))
	if err == nil {
		c.Close()
		return errors.New("connected")
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return nil
	}
	return err
}

// silentUDP fails when a datagram from the internet host's source to addr gets any answer: an
// echo, or an ICMP error (a connected UDP socket reads it as an error).
func (t *Twin) silentUDP(source, to netip.Addr, port uint16) error {
	var c *net.UDPConn
	err := inNamespace(t.internet(), func() (err error) {
		c, err = net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(source, 0)), net.UDPAddrFromAddrPort(netip.AddrPortFrom(to, port)))
		return err
	})
	if err != nil {
		return fmt.Errorf("twin: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(probeTimeout))
	if _, err := c.Write([]byte("unsolicited")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	if _, err := c.Read(buf); err == nil {
		return errors.New("answered")
	} else if !isTimeout(err) {
		return err
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
