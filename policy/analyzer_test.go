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

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// startPack builds the pack and starts it the way the Pulumi engine does: it prints its port,
// then answers the analyzer gRPC protocol. Returns a client that has done the handshake and the
// stack configuration, as the engine does before analysing anything.
func startPack(t *testing.T) pulumirpc.AnalyzerClient {
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
	return client
}

// analyze sends one resource's inputs as the engine marshals them (unknowns kept) and returns
// the names of the policies that reported it, each with its enforcement level.
func analyze(t *testing.T, client pulumirpc.AnalyzerClient, typ string, inputs map[string]any) []string {
	t.Helper()
	props, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(inputs), plugin.MarshalOptions{KeepUnknowns: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: typ, Name: "res", Urn: "urn:pulumi:dev::nat-instance::" + typ + "::res", Properties: props,
	})
	if err != nil {
		t.Fatalf("analyze %s: %v", typ, err)
	}
	var reported []string
	for _, d := range resp.GetDiagnostics() {
		reported = append(reported, d.GetPolicyName()+" "+d.GetEnforcementLevel().String())
	}
	slices.Sort(reported)
	return reported
}

// The built pack, spoken to over the analyzer protocol the engine uses: what it announces, what
// it reports for the lab's SSH rule, that an unknown CIDR passes a preview, and policy config.
func TestPackOverTheAnalyzerProtocol(t *testing.T) {
	client := startPack(t)

	info, err := client.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "nat-instance" || len(info.GetPolicies()) != 6 {
		t.Errorf("pack %q with %d policies, want nat-instance with 6", info.GetName(), len(info.GetPolicies()))
	}
	for _, p := range info.GetPolicies() {
		if p.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("policy %s announced as %s, want MANDATORY", p.GetName(), p.GetEnforcementLevel())
		}
	}

	labSSH := map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": []any{"10.40.0.0/0"}}}}
	want := []string{"no-ingress-from-anywhere MANDATORY", "security-group-rule-descriptions MANDATORY"}
	if got := analyze(t, client, typeSecurityGroup, labSSH); !slices.Equal(got, want) {
		t.Errorf("the lab's SSH rule: reported %q, want %q", got, want)
	}
	unknownCIDR := map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "description": "web", "cidrBlocks": []any{unknown}}}}
	if got := analyze(t, client, typeSecurityGroup, unknownCIDR); len(got) > 0 {
		t.Errorf("a CIDR unknown in a preview: reported %q, want nothing", got)
	}

	eni := map[string]any{"sourceDestCheck": false, "tags": map[string]any{"Name": "egress-gw-1"}}
	if got := analyze(t, client, typeNetworkInterface, eni); len(got) != 1 {
		t.Errorf("egress-gw-1 with the default pattern: reported %q, want one violation", got)
	}
	config, err := structpb.NewStruct(map[string]any{natNamePatternKey: "^egress-gw-"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Configure(context.Background(), &pulumirpc.ConfigureAnalyzerRequest{
		PolicyConfig: map[string]*pulumirpc.PolicyConfig{"source-dest-check-only-on-nat": {
			EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: config,
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := analyze(t, client, typeNetworkInterface, eni); len(got) > 0 {
		t.Errorf("egress-gw-1 with natNamePattern ^egress-gw-: reported %q, want nothing", got)
	}
}
