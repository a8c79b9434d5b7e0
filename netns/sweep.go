package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RemoveLeftovers deletes the namespaces of runs whose process is gone, e.g. after a crash.
// Namespaces of running processes, this one included, are left alone.
func RemoveLeftovers(ctx context.Context) ([]string, error) {
	return removeNamespaces(ctx, func(pid int) bool { return !processAlive(pid) })
}

// RemoveOwn deletes every namespace this process created and has not removed yet: the last
// sweep of a command that was interrupted.
func RemoveOwn(ctx context.Context) ([]string, error) {
	return removeNamespaces(ctx, func(pid int) bool { return pid == os.Getpid() })
}

var (
	sweepOnce  sync.Once
	sweepError error
)

// RemoveLeftoversOnce runs RemoveLeftovers the first time a process calls it and returns its
// error every time: each twin or rig calls it before it builds, and only the first one sweeps.
func RemoveLeftoversOnce(ctx context.Context) error {
	sweepOnce.Do(func() { _, sweepError = RemoveLeftovers(ctx) })
	if sweepError != nil {
		return fmt.Errorf("removing leftovers of earlier runs: %w", sweepError)
	}
	return nil
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
		rest, ok := strings.CutPrefix(e.Name(), Prefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || !remove(pid) {
			continue
		}
		if err := Delete(ctx, e.Name()); err != nil {
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

// Delete kills the processes of namespace ns and deletes it; a namespace that is not there is
// no error. Deleting alone would leave a daemon running in a namespace nobody can name.
func Delete(ctx context.Context, ns string) error {
	if _, err := os.Stat("/run/netns/" + ns); err != nil {
		return nil
	}
	if err := KillProcesses(ctx, ns); err != nil {
		return err
	}
	_, err := Run(ctx, "ip", "netns", "delete", ns)
	return err
}

// killLimit bounds KillProcesses; killPoll is how often it looks again: a killed process is
// gone within milliseconds, but a dying one may have started another (a notify script).
const (
	killLimit = 20 * time.Second
	killPoll  = 250 * time.Millisecond
)

// KillProcesses kills every process of namespace ns, again until none is left: a process may
// start another as it dies. A namespace that is not there has no processes.
func KillProcesses(ctx context.Context, ns string) error {
	deadline := time.Now().Add(killLimit)
	for {
		out, err := Run(ctx, "ip", "netns", "pids", ns)
		if err != nil {
			return nil // no namespace, no processes
		}
		pids := strings.Fields(out)
		if len(pids) == 0 {
			return nil
		}
		for _, field := range pids {
			if pid, err := strconv.Atoi(field); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes %v of %s would not die: %w", pids, ns, ctx.Err())
		case <-time.After(killPoll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of %s would not die within %v", pids, ns, killLimit)
		}
	}
}
