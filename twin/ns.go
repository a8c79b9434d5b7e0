package twin

import (
	"context"
	"fmt"

	"nat-instance/netns"
)

// The twin's names for the namespace plumbing it shares with the capacity rig (package netns).
var (
	run             = netns.Run
	execIn          = netns.Exec
	nftIn           = netns.LoadRuleset
	sysctlIn        = netns.Sysctl
	ipBatch         = netns.IPBatch
	inNamespace     = netns.Within
	closeOnLine     = netns.WhenLineContains
	diesWithUs      = netns.DiesWithParent
	bootIn          = netns.RunBoot
	killProcessesIn = netns.KillProcesses
)

// BootCommand is a boot script and the arguments it is started with (an Instance's Boot); the
// capacity rig runs the same type.
type BootCommand = netns.BootCommand

// commandTimeout bounds every command the twin runs.
const commandTimeout = netns.CommandTimeout

// ipIn runs `ip -n ns ...`.
func ipIn(ctx context.Context, ns string, args ...string) error {
	_, err := run(ctx, "ip", append([]string{"-n", ns}, args...)...)
	return err
}

// Available tells why this machine cannot run a twin, or nil when it can: it needs root and
// the tools the twin shells out to.
func Available() error {
	return netns.Available("ip", "nft", "ping", "tcpdump", "unshare", "sysctl", "mount", "nsenter")
}

// readyToBuild checks that this machine can build namespaces and, once per process, removes
// what crashed runs left behind.
func readyToBuild(ctx context.Context) error {
	if err := Available(); err != nil {
		return err
	}
	if err := netns.RemoveLeftoversOnce(ctx); err != nil {
		return fmt.Errorf("twin: %w", err)
	}
	return nil
}
