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
// the lab's SSH rule, that an unknown CIDR passes a preview, and a stack policy over the
// resources and property dependencies the engine sends at the end of a preview or update.
func TestPackOverTheAnalyzerProtocol(t *testing.T) {
	pack := startPack(t)
	ctx := context.Background()

	info, err := pack.GetAnalyzerInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "nat-instance" || len(info.Policies) != 11 {
		t.Errorf("pack %q with %d policies, want nat-instance with 11", info.Name, len(info.Policies))
	}
	for _, p := range info.Policies {
		// policyx announces the enforcementLevel property every policy has; nothing else.
		var props []string
		if p.ConfigSchema != nil {
			for name := range p.ConfigSchema.Properties {
				if name != "enforcementLevel" {
					props = append(props, name)
				}
			}
		}
		if p.EnforcementLevel != apitype.Mandatory || len(props) > 0 {
			t.Errorf("policy %s announced as %s with config %v, want mandatory without config", p.Name, p.EnforcementLevel, props)
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

	eni := plugin.AnalyzerStackResource{AnalyzerResource: plugin.AnalyzerResource{
		URN: "urn:pulumi:dev::nat-instance::" + typeNetworkInterface + "::nat-instance", Type: typeNetworkInterface, Name: "nat-instance",
		Properties: resource.NewPropertyMapFromMap(map[string]any{"sourceDestCheck": false, "tags": map[string]any{"Name": "nat-instance"}}),
	}}
	route := plugin.AnalyzerStackResource{
		AnalyzerResource: plugin.AnalyzerResource{
			URN: "urn:pulumi:dev::nat-instance::" + typeRoute + "::private", Type: typeRoute, Name: "private",
			Properties: resource.NewPropertyMapFromMap(map[string]any{"destinationCidrBlock": "0.0.0.0/0", "networkInterfaceId": unknown}),
		},
		PropertyDependencies: map[resource.PropertyKey][]resource.URN{"networkInterfaceId": {eni.URN}},
	}
	for _, c := range []struct {
		name      string
		resources []plugin.AnalyzerStackResource
		want      int
	}{
		{"an interface named like a NAT that forwards for no route", []plugin.AnalyzerStackResource{eni}, 1},
		{"the target of a default route", []plugin.AnalyzerStackResource{eni, route}, 0},
	} {
		resp, err := pack.AnalyzeStack(ctx, c.resources)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Diagnostics) != c.want {
			t.Errorf("%s: %d violations %v, want %d", c.name, len(resp.Diagnostics), resp.Diagnostics, c.want)
		}
	}
}
