package twin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"time"
)

// probeTimeout bounds each probe: everything is on one machine, so a second is plenty.
const probeTimeout = time.Second

// listen opens a TCP listener inside a namespace and serves it until the twin closes.
func (t *Twin) listen(ns string, addr netip.AddrPort, serve func(net.Listener)) error {
	var l net.Listener
	err := inNamespace(ns, func() (err error) {
		l, err = net.Listen("tcp4", addr.String())
		return err
	})
	if err != nil {
		return fmt.Errorf("listen on %s in %s: %w", addr, ns, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		l.Close()
		return errors.New("twin is closed")
	}
	t.listeners = append(t.listeners, l)
	go serve(l)
	return nil
}

// serveCheckIP answers every HTTP request with the caller's address, like
// checkip.amazonaws.com.
func serveCheckIP(l net.Listener) {
	server := &http.Server{
		ReadHeaderTimeout: probeTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			fmt.Fprintln(w, host)
		}),
	}
	_ = server.Serve(l)
}

// serveSSH stands in for sshd: it accepts a connection, greets and closes it.
func serveSSH(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		_, _ = io.WriteString(c, "SSH-2.0-twin\r\n")
		c.Close()
	}
}

// Ping sends one echo request from an instance (or the internet host) and waits a second for
// the answer.
func (t *Twin) Ping(ctx context.Context, from string, to netip.Addr) error {
	_, err := execIn(ctx, t.nsOf(from), "ping", "-n", "-q", "-c", "1", "-W", "1", to.String())
	if err != nil {
		err = fmt.Errorf("no answer")
	}
	t.logf("%s ping %s: %s", t.describe(from), to, result(err))
	return err
}

// CheckIP asks the internet host's check-IP service, from an instance, which address it sees.
func (t *Twin) CheckIP(ctx context.Context, from string) (netip.Addr, error) {
	client := &http.Client{
		Timeout: probeTimeout,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return t.dial(from, netip.Addr{}, netip.MustParseAddrPort(addr))
			},
		},
	}
	seen, err := func() (netip.Addr, error) {
		resp, err := client.Get("http://" + InternetHost.String() + "/")
		if err != nil {
			return netip.Addr{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
		if err != nil {
			return netip.Addr{}, err
		}
		return netip.ParseAddr(strings.TrimSpace(string(body)))
	}()
	if err != nil {
		t.logf("%s curl http://%s (check IP): failed", t.describe(from), InternetHost)
		return netip.Addr{}, err
	}
	t.logf("%s curl http://%s (check IP): %s", t.describe(from), InternetHost, seen)
	return seen, nil
}

// TCPConnect opens a TCP connection from an instance or the internet host (from "" means the
// internet host; source picks one of its addresses) to address to, port port.
func (t *Twin) TCPConnect(from string, source, to netip.Addr, port uint16) error {
	c, err := t.dial(from, source, netip.AddrPortFrom(to, port))
	if err == nil {
		c.Close()
	}
	what := t.describe(from)
	if source.IsValid() {
		what = fmt.Sprintf("internet host %s", source)
	}
	t.logf("%s -> %s TCP %d: %s", what, to, port, result(err))
	return err
}

func (t *Twin) dial(from string, source netip.Addr, to netip.AddrPort) (net.Conn, error) {
	return t.dialWithin(from, source, to, probeTimeout)
}

// dialWithin is dial with its own limit (e.g. the fault matrix's flows, opened before any fault:
// a slow machine must not fail them). No keepalive probes: a flow sends only what its kind does
// (Go sends one after 15 s idle by default, which would speak for a client that stays silent).
func (t *Twin) dialWithin(from string, source netip.Addr, to netip.AddrPort, limit time.Duration) (net.Conn, error) {
	dialer := net.Dialer{Timeout: limit, KeepAlive: -1}
	if source.IsValid() {
		dialer.LocalAddr = &net.TCPAddr{IP: source.AsSlice()}
	}
	var c net.Conn
	err := inNamespace(t.nsOf(from), func() (err error) {
		c, err = dialer.Dial("tcp4", to.String())
		return err
	})
	return c, err
}

// Capture runs tcpdump on an instance's interface ("" for the internet host's) around action
// and returns the packets it printed, at most limit of them.
func (t *Twin) Capture(ctx context.Context, instance, filter string, limit int, action func()) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	iface, where := Interface, instance
	if instance == "" {
		iface, where = "net0", "the internet host"
	}
	args := []string{"netns", "exec", t.nsOf(instance), "tcpdump", "-n", "-l", "-i", iface, "-c", fmt.Sprint(limit)}
	cmd := exec.CommandContext(ctx, "ip", append(args, strings.Fields(filter)...)...)
	cmd.SysProcAttr = diesWithUs()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// tcpdump says "listening on" once it captures; act only then.
	ready := closeOnLine(stderr, "listening on")
	select {
	case <-ready:
	case <-ctx.Done():
		_ = cmd.Wait()
		return nil, fmt.Errorf("tcpdump on %s did not start", where)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
	}()
	action()
	var out []string
	deadline := time.After(probeTimeout)
collect:
	for len(out) < limit {
		select {
		case l, ok := <-lines:
			if !ok {
				break collect
			}
			out = append(out, l)
			t.logf("  tcpdump -ni %s on %s: %s", iface, where, l)
		case <-deadline:
			break collect
		}
	}
	cancel()
	for range lines {
	}
	_ = cmd.Wait()
	return out, nil
}

// RunBoot runs an instance's boot command in its namespace: the very script its user data
// installs, with the arguments its systemd unit passes.
func (t *Twin) RunBoot(ctx context.Context, instance string) (string, error) {
	k := t.instanceIndex(instance)
	if k < 0 || t.topo.Instances[k].Boot == nil {
		return "", fmt.Errorf("twin: instance %s has no boot command", instance)
	}
	boot := t.topo.Instances[k].Boot
	out, err := bootIn(ctx, t.Namespace(instance), boot)
	t.logf("%s boots: nat-instance-setup %s: %s", instance, strings.Join(boot.Args, " "), strings.TrimSpace(out))
	return out, err
}

// Reboot gives an instance a fresh kernel state: its namespace is deleted and made again, with
// its link, address and routes, but nothing the boot script did.
func (t *Twin) Reboot(ctx context.Context, instance string) error {
	k := t.instanceIndex(instance)
	if k < 0 {
		return fmt.Errorf("twin: no instance %s", instance)
	}
	// The link goes first: a deleted namespace's devices vanish only when the kernel gets to it.
	if err := ipIn(ctx, t.router(), "link", "delete", routerPort(k)); err != nil {
		return err
	}
	if _, err := run(ctx, "ip", "netns", "delete", t.Namespace(instance)); err != nil {
		return err
	}
	if err := t.linkInstance(ctx, k); err != nil {
		return err
	}
	// Deleting the link took the routes through it with it.
	if err := ipAll(ctx, t.subnetRoutes(instance)); err != nil {
		return err
	}
	t.logf("%s rebooted: fresh namespace, nothing configured", instance)
	return nil
}

// Stop takes an instance off the network, as a stopped or failed instance is.
func (t *Twin) Stop(ctx context.Context, instance string) error {
	err := ipIn(ctx, t.Namespace(instance), "link", "set", Interface, "down")
	t.logf("%s stopped", instance)
	return err
}

// Exec runs a command in an instance's namespace, for inspection (e.g. nft list ruleset).
func (t *Twin) Exec(ctx context.Context, instance string, args ...string) (string, error) {
	return execIn(ctx, t.Namespace(instance), args...)
}

// nsOf maps a probe's origin to a namespace: "" is the internet host.
func (t *Twin) nsOf(from string) string {
	if from == "" {
		return t.internet()
	}
	return t.Namespace(from)
}

func (t *Twin) describe(from string) string {
	if from == "" {
		return "internet host " + InternetHost.String()
	}
	if k := t.instanceIndex(from); k >= 0 {
		return fmt.Sprintf("%s (%s)", from, t.topo.Instances[k].PrivateIP)
	}
	return from
}

func (t *Twin) logf(format string, args ...any) {
	fmt.Fprintf(t.opts.Log, format+"\n", args...)
}

func result(err error) string {
	if err != nil {
		return "blocked"
	}
	return "ok"
}
