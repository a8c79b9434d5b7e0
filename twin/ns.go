package twin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// BasePrefix starts the name of every namespace a twin creates: natlab-<pid>-<twin>-<role>.
// The pid lets a later run remove what a crashed run left behind.
const BasePrefix = "natlab-"

// commandTimeout bounds every command the twin runs.
const commandTimeout = 10 * time.Second

// run executes a command and returns its combined output; the error carries that output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = diesWithUs()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// ipIn runs `ip -n ns ...`.
func ipIn(ctx context.Context, ns string, args ...string) error {
	_, err := run(ctx, "ip", append([]string{"-n", ns}, args...)...)
	return err
}

// execIn runs a command inside a namespace.
func execIn(ctx context.Context, ns string, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// nftIn loads a ruleset into a namespace's nftables.
func nftIn(ctx context.Context, ns, ruleset string) error {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.SysProcAttr = diesWithUs()
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %w: %s\n%s", ns, err, out, ruleset)
	}
	return nil
}

// sysctlIn sets kernel parameters of a namespace (they are per namespace for networking).
func sysctlIn(ctx context.Context, ns string, settings ...string) error {
	_, err := execIn(ctx, ns, append([]string{"sysctl", "-q", "-w"}, settings...)...)
	return err
}

// diesWithUs makes a child process end with this one, so that a killed test leaves no tcpdump
// or ping behind holding a namespace.
func diesWithUs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// inNamespace runs fn on an OS thread switched into the namespace. Sockets fn opens belong to
// that namespace for their whole life, whichever thread later uses them.
func inNamespace(ns string, fn func() error) error {
	runtime.LockOSThread()
	origin, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer origin.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter namespace %s: %w", ns, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(origin.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and dies with this goroutine rather than serve others in
		// the wrong namespace.
		return errors.Join(fnErr, fmt.Errorf("leave namespace %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return fnErr
}

// RemoveLeftovers deletes the namespaces of twins whose process is gone, e.g. after a crash.
// Namespaces of running processes, this one included, are left alone.
func RemoveLeftovers(ctx context.Context) ([]string, error) {
	return removeNamespaces(ctx, func(pid int) bool { return !processAlive(pid) })
}

// RemoveOwn deletes every namespace this process created and has not removed yet: the last
// sweep of a command that was interrupted.
func RemoveOwn(ctx context.Context) ([]string, error) {
	return removeNamespaces(ctx, func(pid int) bool { return pid == os.Getpid() })
}

func removeNamespaces(ctx context.Context, remove func(pid int) bool) ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), BasePrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || !remove(pid) {
			continue
		}
		if err := killProcessesIn(ctx, e.Name()); err != nil {
			return removed, err
		}
		if _, err := run(ctx, "ip", "netns", "delete", e.Name()); err != nil {
			return removed, err
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Available tells why this machine cannot run a twin, or nil when it can: it needs root and
// the tools the twin shells out to.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root")
	}
	for _, tool := range []string{"ip", "nft", "ping", "tcpdump", "unshare", "sysctl", "mount", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: iproute2 nftables iputils-ping tcpdump util-linux procps)", tool)
		}
	}
	return nil
}

// ipBatch runs many `ip` commands in one namespace with one process.
func ipBatch(ctx context.Context, ns string, lines ...string) error {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "-n", ns, "-batch", "-")
	cmd.SysProcAttr = diesWithUs()
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %w: %s\n%s", ns, err, out, strings.Join(lines, "\n"))
	}
	return nil
}

// closeOnLine reads r to its end and closes the returned channel once a line contains marker:
// how a tool (tcpdump, iperf3) says it is ready.
func closeOnLine(r io.Reader, marker string) <-chan struct{} {
	ready := make(chan struct{})
	go func() {
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), marker) {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return ready
}

// readyToBuild checks that this machine can build namespaces and, once per process, removes
// what crashed runs left behind.
func readyToBuild(ctx context.Context) error {
	if err := Available(); err != nil {
		return err
	}
	sweepOnce.Do(func() { _, sweepError = RemoveLeftovers(ctx) })
	if sweepError != nil {
		return fmt.Errorf("twin: removing leftovers of earlier runs: %w", sweepError)
	}
	return nil
}
