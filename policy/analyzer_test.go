package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startPack builds the pack and starts it the way the Pulumi engine does: the binary prints its
// port, then serves the analyzer gRPC protocol. The handshake and the stack configuration go as
// the engine sends them; the rest goes through the engine's own analyzer client
// (plugin.NewAnalyzerWithClient), which marshals resources and config exactly as `pulumi
// preview` does.
func startPack(t *testing.T) plugin.Analyzer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	bin := filepath.Join(t.TempDir(), "nat-instance-policy")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pack := exec.CommandContext(ctx, bin)
	stdout, err := pack.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	pack.Stderr = os.Stderr
	if err := pack.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pack.Process.Kill(); pack.Wait() })
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the pack's port: %v", err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := pulumirpc.NewAnalyzerClient(conn)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{RootDirectory: &dir, ProgramDirectory: &dir}); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Project: "nat-instance", Stack: "dev"}); err != nil {
		t.Fatalf("configure stack: %v", err)
	}
	return plugin.NewAnalyzerWithClient(tokens.QName("nat-instance"), client)
}

// analyze sends one resource's inputs and returns the policies that reported it, each with its
// enforcement level.
func analyze(t *testing.T, pack plugin.Analyzer, typ string, inputs map[string]any) []string {
	t.Helper()
	resp, err := pack.Analyze(context.Background(), plugin.AnalyzerResource{
		URN:        resource.URN("urn:pulumi:dev::nat-instance::" + typ + "::res"),
		Type:       tokens.Type(typ),
		Name:       "res",
		Properties: resource.NewPropertyMapFromMap(inputs),
	})
	if err != nil {
		t.Fatalf("analyze %s: %v", typ, err)
	}
	var reported []string
	for _, d := range resp.Diagnostics {
		reported = append(reported, d.PolicyName+" "+string(d.EnforcementLevel))
	}
	slices.Sort(reported)
	return reported
}

// The built pack, through the engine's analyzer client: what it announces, what it reports for
// the lab's SSH rule, that an unknown CIDR passes a preview, and policy config.
func TestPackOverTheAnalyzerProtocol(t *testing.T) {
	pack := startPack(t)
	ctx := context.Background()

	info, err := pack.GetAnalyzerInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "nat-instance" || len(info.Policies) != 6 || !info.SupportsConfig {
		t.Errorf("pack %q with %d policies (config %v), want nat-instance with 6, configurable", info.Name, len(info.Policies), info.SupportsConfig)
	}
	for _, p := range info.Policies {
		if p.EnforcementLevel != apitype.Mandatory {
			t.Errorf("policy %s announced as %s, want mandatory", p.Name, p.EnforcementLevel)
		}
	}

	labSSH := map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"10.40.0.0/0"}}}}
	want := []string{"no-ingress-from-anywhere mandatory", "security-group-rule-descriptions mandatory"}
	if got := analyze(t, pack, typeSecurityGroup, labSSH); !slices.Equal(got, want) {
		t.Errorf("the lab's SSH rule: reported %q, want %q", got, want)
	}
	unknownCIDR := map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "description": "web", "cidrBlocks": []any{unknown}}}}
	if got := analyze(t, pack, typeSecurityGroup, unknownCIDR); len(got) > 0 {
		t.Errorf("a CIDR unknown in a preview: reported %q, want nothing", got)
	}

	eni := map[string]any{"sourceDestCheck": false, "tags": map[string]any{"Name": "egress-gw-1"}}
	if got := analyze(t, pack, typeNetworkInterface, eni); len(got) != 1 {
		t.Errorf("egress-gw-1 with the default pattern: reported %q, want one violation", got)
	}
	if err := pack.Configure(ctx, map[string]plugin.AnalyzerPolicyConfig{"source-dest-check-only-on-nat": {
		EnforcementLevel: apitype.Mandatory, Properties: map[string]any{natNamePatternKey: "^egress-gw-"},
	}}); err != nil {
		t.Fatal(err)
	}
	if got := analyze(t, pack, typeNetworkInterface, eni); len(got) > 0 {
		t.Errorf("egress-gw-1 with natNamePattern ^egress-gw-: reported %q, want nothing", got)
	}
}
