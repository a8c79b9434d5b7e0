//go:build aws

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Environment the test reads.
const (
	regionEnv  = "E2E_AWS_REGION"     // required: where the throw-away stack goes
	backendEnv = "PULUMI_BACKEND_URL" // optional: where its state goes (default: a folder in $HOME)
)

func TestLabOnAWS(t *testing.T) {
	region := os.Getenv(regionEnv)
	if region == "" {
		t.Fatalf("%s is not set: name the AWS region for the throw-away stack, e.g. %s=eu-west-1", regionEnv, regionEnv)
	}
	deadline, hasDeadline := t.Deadline()
	budget, err := planTime(time.Now(), deadline, hasDeadline)
	if err != nil {
		t.Fatal(err)
	}
	// The work stops at its share of the deadline, or at the first interrupt (Ctrl-C, SIGTERM),
	// so that the clean-up always has its own.
	ctx, cancel := context.WithDeadline(context.Background(), budget.workUntil)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli := awsCLI{region: region}

	// The account, before anything is created; the provider refuses any other one as well.
	account := os.Getenv(accountEnv)
	var caller struct{ Account string }
	if err := cli.json(ctx, &caller, "sts", "get-caller-identity"); err != nil {
		t.Fatal(err)
	}
	if err := checkAccount(account, caller.Account); err != nil {
		t.Fatal(err)
	}

	stack := newThrowAwayStack(ctx, t, region, account, budget.cleanup)
	up, err := stack.Up(ctx, optup.ProgressStreams(os.Stdout))
	if err != nil {
		t.Fatalf("pulumi up: %v", err)
	}
	natPublicIP, _ := up.Outputs["natPublicIp"].Value.(string)
	privateIDs, _ := up.Outputs["privateInstanceIds"].Value.([]any)
	if natPublicIP == "" || len(privateIDs) == 0 {
		t.Fatalf("outputs lack natPublicIp or privateInstanceIds: %v", up.Outputs)
	}
	private, _ := privateIDs[0].(string)

	t.Run("private instance leaves as the NAT's Elastic IP", func(t *testing.T) {
		if err := cli.waitForSessionManager(ctx, private); err != nil {
			t.Fatal(err)
		}
		seen, err := cli.runShell(ctx, private, "curl -s --max-time 10 https://checkip.amazonaws.com")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(seen) != natPublicIP {
			t.Errorf("check-IP service saw %q, want natPublicIp %s", strings.TrimSpace(seen), natPublicIP)
		}
	})

	t.Run("private instance answers nothing from the internet", func(t *testing.T) {
		var instance struct {
			Reservations []struct {
				Instances []struct {
					PublicIPAddress string `json:"PublicIpAddress"`
				}
			}
		}
		if err := cli.json(ctx, &instance, "ec2", "describe-instances", "--instance-ids", private); err != nil {
			t.Fatal(err)
		}
		if len(instance.Reservations) == 0 || len(instance.Reservations[0].Instances) == 0 {
			t.Fatalf("%s not found", private)
		}
		if ip := instance.Reservations[0].Instances[0].PublicIPAddress; ip != "" {
			t.Errorf("%s has a public address %s", private, ip)
		}
		// The Elastic IP is the VPC's only public address, and the NAT forwards nothing inward:
		// from here (outside the VPC and sshAllowedCidrs) neither SSH nor the ports it forwards
		// outward connect.
		for _, port := range []string{"22", "80", "443"} {
			if conn, err := net.DialTimeout("tcp", net.JoinHostPort(natPublicIP, port), 5*time.Second); err == nil {
				conn.Close()
				t.Errorf("TCP %s on %s accepted a connection from the internet", port, natPublicIP)
			}
		}
	})

	t.Run("a second preview plans no changes", func(t *testing.T) {
		preview, err := stack.Preview(ctx, optpreview.Diff())
		if err != nil {
			t.Fatal(err)
		}
		for op, count := range preview.ChangeSummary {
			if op != apitype.OpSame && count > 0 {
				t.Errorf("second preview plans %d %s: %v\n%s", count, op, preview.ChangeSummary, preview.StdOut)
			}
		}
	})
}

// newThrowAwayStack creates a stack of the lab named after the run (e2e-<time>-<random>) in
// region, allowed only in account, every resource tagged with the run, and registers its
// destruction with its own time: it runs however the test ends (a failed check, a Fatal, a
// panic, the work's deadline, an interrupt), not when Go's -timeout kills the test, which the
// time budget keeps from happening.
func newThrowAwayStack(ctx context.Context, t *testing.T, region, account string, cleanupTime time.Duration) auto.Stack {
	t.Helper()
	project, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PULUMI_BACKEND_URL": stateBackend(t)}
	if os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" && os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" {
		env["PULUMI_CONFIG_PASSPHRASE"] = "" // the stack holds no secrets
	}
	suffix := make([]byte, 2)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("e2e-%d-%s", time.Now().Unix(), hex.EncodeToString(suffix))
	stack, err := auto.UpsertStackLocalSource(ctx, name, project, auto.EnvVars(env))
	if err != nil {
		t.Fatalf("creating stack %s: %v", name, err)
	}
	stackFile := filepath.Join(project, "Pulumi."+name+".yaml")
	t.Cleanup(func() {
		// A fresh context: the test's own may have run out.
		cleanup, cancel := context.WithTimeout(context.Background(), cleanupTime)
		defer cancel()
		if _, err := stack.Destroy(cleanup, optdestroy.ProgressStreams(os.Stdout)); err != nil {
			t.Errorf("DESTROY FAILED, resources may be left in %s: run `pulumi destroy -s %s` with PULUMI_BACKEND_URL=%s, "+
				"and find what is left by its tag %s=%s (docs/e2e.md, \"Leftovers\"): %v",
				region, name, env["PULUMI_BACKEND_URL"], runTagKey, name, err)
			return
		}
		if err := stack.Workspace().RemoveStack(cleanup, name); err != nil {
			t.Errorf("removing stack %s: %v", name, err)
		}
		os.Remove(stackFile) // the stack's settings file in the project, if the CLI left it
	})
	for key, value := range map[string]string{
		"aws:region":                        region,
		"aws:allowedAccountIds[0]":          account,
		"aws:defaultTags.tags." + runTagKey: name,
	} {
		if err := stack.SetConfigWithOptions(ctx, key, auto.ConfigValue{Value: value}, &auto.ConfigOptions{Path: true}); err != nil {
			t.Fatal(err)
		}
	}
	return stack
}

// stateBackend is where the throw-away stack's state lives: PULUMI_BACKEND_URL if set, else a
// folder in $HOME that survives a crashed test, so that its resources can still be destroyed.
func stateBackend(t *testing.T) string {
	if url := os.Getenv(backendEnv); url != "" {
		return url
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".nat-instance-e2e")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return "file://" + dir
}

// awsCLI runs the AWS CLI v2 in one region.
type awsCLI struct{ region string }

func (a awsCLI) json(ctx context.Context, out any, args ...string) error {
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--region", a.region, "--output", "json"}, args...)...)
	stdout, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("aws %s: %w: %s", strings.Join(args, " "), err, exit.Stderr)
		}
		return fmt.Errorf("aws %s: %w", strings.Join(args, " "), err)
	}
	return json.Unmarshal(stdout, out)
}

// waitForSessionManager waits until the instance's SSM agent is online: it registers through
// the NAT, so this alone shows that the private instance reaches AWS's endpoints. It waits up to
// 15 minutes, and never past the work's deadline.
func (a awsCLI) waitForSessionManager(ctx context.Context, instance string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		var info struct{ InstanceInformationList []struct{ PingStatus string } }
		if err := a.json(ctx, &info, "ssm", "describe-instance-information",
			"--filters", "Key=InstanceIds,Values="+instance); err != nil {
			return err
		}
		if len(info.InstanceInformationList) > 0 && info.InstanceInformationList[0].PingStatus == "Online" {
			return nil
		}
		sleep(ctx, 15*time.Second)
	}
	return fmt.Errorf("%s did not come online in Session Manager in time: %w", instance, ctx.Err())
}

// runShell runs a shell command on the instance with `aws ssm send-command` and returns its
// standard output once it succeeded.
func (a awsCLI) runShell(ctx context.Context, instance, command string) (string, error) {
	parameters, err := json.Marshal(map[string][]string{"commands": {command}})
	if err != nil {
		return "", err
	}
	var sent struct {
		Command struct {
			CommandID string `json:"CommandId"`
		}
	}
	if err := a.json(ctx, &sent, "ssm", "send-command", "--instance-ids", instance,
		"--document-name", "AWS-RunShellScript", "--parameters", string(parameters)); err != nil {
		return "", err
	}
	for range 40 {
		if sleep(ctx, 3*time.Second) != nil {
			return "", ctx.Err()
		}
		var result struct{ Status, StandardOutputContent, StandardErrorContent string }
		if err := a.json(ctx, &result, "ssm", "get-command-invocation",
			"--command-id", sent.Command.CommandID, "--instance-id", instance); err != nil {
			continue // the invocation is not registered yet
		}
		switch result.Status {
		case "Success":
			return result.StandardOutputContent, nil
		case "Pending", "InProgress", "Delayed":
			continue
		default:
			return "", fmt.Errorf("%q on %s: %s: %s", command, instance, result.Status, result.StandardErrorContent)
		}
	}
	return "", fmt.Errorf("%q on %s did not finish within 2 minutes", command, instance)
}

// sleep waits d, or less if ctx ends first (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
