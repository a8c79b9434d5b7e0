package netns

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// CommandTimeout bounds every command run here: a tool that hangs (a namespace gone, a lock
// held) fails the step instead of the whole run.
const CommandTimeout = 10 * time.Second

// Run executes a command and returns its combined output; the error carries that output.
func Run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = DiesWithParent()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Exec runs a command inside namespace ns.
func Exec(ctx context.Context, ns string, args ...string) (string, error) {
	return Run(ctx, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// withStdin runs a command that reads its input from stdin; the error carries the command's
// output and the input, which is what one needs to see which line was refused.
func withStdin(ctx context.Context, what, input string, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = DiesWithParent()
	cmd.Stdin = strings.NewReader(input)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s\n%s", what, err, out, input)
	}
	return nil
}

// LoadRuleset loads an nftables ruleset into namespace ns.
func LoadRuleset(ctx context.Context, ns, ruleset string) error {
	return withStdin(ctx, "nft in "+ns, ruleset, "ip", "netns", "exec", ns, "nft", "-f", "-")
}

// IPBatch runs many `ip` commands (one per line, without the leading "ip") in namespace ns with
// one process: building a namespace takes one process start instead of dozens.
func IPBatch(ctx context.Context, ns string, lines ...string) error {
	return withStdin(ctx, "ip -n "+ns+" -batch", strings.Join(lines, "\n")+"\n", "ip", "-n", ns, "-batch", "-")
}

// Sysctl sets kernel parameters of namespace ns ("key=value"); networking ones are per namespace.
func Sysctl(ctx context.Context, ns string, settings ...string) error {
	_, err := Exec(ctx, ns, append([]string{"sysctl", "-q", "-w"}, settings...)...)
	return err
}

// DiesWithParent makes a child process end with this one, so that a killed test leaves no
// tcpdump, iperf3 or load generator behind holding a namespace.
func DiesWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// WhenLineContains reads r to its end and closes the returned channel once a line contains
// marker: how a tool started in a namespace (tcpdump, iperf3) says it is ready.
func WhenLineContains(r io.Reader, marker string) <-chan struct{} {
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
