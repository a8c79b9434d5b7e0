package capacity

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"nat-instance/netns"
)

// Holding tens of thousands of connections needs more open files than one process may have
// (the hard limit here is 20,000 and only CAP_SYS_RESOURCE lifts it), so the client side runs
// in child processes of this very binary, each holding a share. The server side needs no file
// per connection: established connections wait in the listeners' accept queues.

// childEnv names the namespace a child load generator runs in; its presence makes a child.
const (
	childEnv      = "NATLAB_LOAD_NAMESPACE"
	childDestsEnv = "NATLAB_LOAD_DESTINATIONS"
	childCountEnv = "NATLAB_LOAD_COUNT"
	// childLifetime bounds a child whatever its parent does.
	childLifetime = 3 * time.Minute
	// connectionsPerChild keeps each child well under the open-file limit.
	connectionsPerChild = 15000
)

// RunLoadChild makes this process a load generator when its parent started it as one: it opens
// the connections it was given, reports "established N failed M" on stdout, holds them until its
// stdin closes (or childLifetime passes), and exits. Otherwise it returns at once. Call it first
// in main (and TestMain) of every binary that runs HoldTCP.
func RunLoadChild() {
	ns := os.Getenv(childEnv)
	if ns == "" {
		return
	}
	count, err := strconv.Atoi(os.Getenv(childCountEnv))
	if err != nil {
		fmt.Printf("error: %s: %v\n", childCountEnv, err)
		os.Exit(2)
	}
	var dests []netip.AddrPort
	for _, d := range strings.Split(os.Getenv(childDestsEnv), ",") {
		ap, err := netip.ParseAddrPort(d)
		if err != nil {
			fmt.Printf("error: %s: %v\n", childDestsEnv, err)
			os.Exit(2)
		}
		dests = append(dests, ap)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childLifetime)
	defer cancel()
	conns, err := dialMany(ctx, ns, count, func(i int) netip.AddrPort { return dests[i%len(dests)] })
	first := ""
	if err != nil {
		first = strings.ReplaceAll(err.Error(), "\n", " ")
	}
	fmt.Printf("established %d failed %d %s\n", len(conns), count-len(conns), first)
	held := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(held) }()
	select {
	case <-held:
	case <-ctx.Done():
	}
	for _, c := range conns {
		c.Close()
	}
	os.Exit(0)
}

// loadChildren are running child load generators, holding connections.
type loadChildren struct {
	cmds   []*exec.Cmd
	stdins []io.Closer
}

// startHolders starts enough children to open n connections from ns to dests, and waits until
// each reports; it returns how many connections are established and the children's errors.
func startHolders(ctx context.Context, ns string, n int, dests []netip.AddrPort) (*loadChildren, int, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	var destList []string
	for _, d := range dests {
		destList = append(destList, d.String())
	}
	lc := &loadChildren{}
	established := 0
	var errs []error
	for start := 0; start < n; start += connectionsPerChild {
		share := min(connectionsPerChild, n-start)
		// Rotate the destinations so the children spread over them like one client would.
		k := start % len(destList)
		rotated := slices.Concat(destList[k:], destList[:k])
		cmd := exec.CommandContext(ctx, self)
		cmd.Env = append(os.Environ(), childEnv+"="+ns, childDestsEnv+"="+strings.Join(rotated, ","), childCountEnv+"="+strconv.Itoa(share))
		cmd.SysProcAttr = netns.DiesWithParent()
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return lc, established, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return lc, established, err
		}
		if err := cmd.Start(); err != nil {
			return lc, established, fmt.Errorf("load generator: %w", err)
		}
		lc.cmds, lc.stdins = append(lc.cmds, cmd), append(lc.stdins, stdin)
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			return lc, established, fmt.Errorf("load generator said nothing: %w", err)
		}
		var ok, failed int
		if _, err := fmt.Sscanf(line, "established %d failed %d", &ok, &failed); err != nil {
			return lc, established, fmt.Errorf("load generator: %q", strings.TrimSpace(line))
		}
		established += ok
		if failed > 0 {
			errs = append(errs, fmt.Errorf("load generator: %s", strings.TrimSpace(line)))
		}
	}
	return lc, established, errors.Join(errs...)
}

// stop closes the children's connections and waits for them to exit.
func (lc *loadChildren) stop() {
	for _, s := range lc.stdins {
		s.Close()
	}
	for _, c := range lc.cmds {
		_ = c.Wait()
	}
}

// dialMany opens n connections from namespace ns, to dest(i) for the i-th, with loadWorkers
// threads inside ns, and returns those that were established.
func dialMany(ctx context.Context, ns string, n int, dest func(int) netip.AddrPort) ([]net.Conn, error) {
	results := make([][]net.Conn, loadWorkers)
	failures := make([]error, loadWorkers)
	failed := make([]int, loadWorkers)
	err := inWorkers(ns, func(w int) error {
		dialer := net.Dialer{Timeout: dialTimeout}
		for i := w; i < n && ctx.Err() == nil; i += loadWorkers {
			c, err := dialer.DialContext(ctx, "tcp4", dest(i).String())
			if err != nil {
				if failed[w]++; failures[w] == nil {
					failures[w] = err
				}
				continue
			}
			results[w] = append(results[w], c)
		}
		return nil
	})
	var conns []net.Conn
	for w := range loadWorkers {
		conns = append(conns, results[w]...)
		if failures[w] != nil {
			err = errors.Join(err, fmt.Errorf("%d connection(s) failed, first: %w", failed[w], failures[w]))
		}
	}
	return conns, err
}
