package delivery

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

const testBoundary = "arn:aws:iam::123456789012:policy/nat-instance-boundary"

// testScope is the scope the tests generate the policies for.
var testScope = Scope{
	Partition: "aws", Region: "ap-northeast-2", Account: "123456789012",
	StateBucket: "nat-instance-state-123456789012",
	KeyArn:      "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	BoundaryArn: testBoundary, DeployRole: "ci-nat-instance-deploy", PreviewRole: "ci-nat-instance-preview",
}

// featureConfigs turn on every optional setting of the program between them: one a two-zone
// stack of NAT pairs with everything given, the other a one-zone stack with a single NAT.
var featureConfigs = map[string]map[string]string{
	"features on, NAT pairs": {
		"zoneCount":              "2",
		"availabilityZones":      `["ap-northeast-2a","ap-northeast-2c"]`,
		"publicSubnetCidrs":      `["10.40.1.0/24","10.40.3.0/24"]`,
		"privateSubnetCidrs":     `["10.40.2.0/24","10.40.4.0/24"]`,
		"natPrivateIps":          `["10.40.1.100","10.40.3.100"]`,
		"natHighAvailability":    "true",
		"natMemberIps":           `["10.40.1.11","10.40.1.12","10.40.3.11","10.40.3.12"]`,
		"natPairRoll":            `["nat-instance-b"]`,
		"privateInstanceIps":     `["10.40.2.101","10.40.4.101"]`,
		"natInstanceType":        "t4g.small",
		"privateInstanceType":    "t4g.micro",
		"natAmiId":               "ami-0123456789abcdef0",
		"privateAmiId":           "ami-0123456789abcdef1",
		"keyName":                "lab-key",
		"sshAllowedCidrs":        `["198.51.100.0/24"]`,
		"iamPermissionsBoundary": testBoundary,
	},
	"features on, a single NAT": {
		"vpcCidr":                "10.50.0.0/16",
		"natStrategy":            "single",
		"availabilityZone":       "ap-northeast-2b",
		"publicSubnetCidr":       "10.50.1.0/24",
		"privateSubnetCidr":      "10.50.2.0/24",
		"natPrivateIp":           "10.50.1.10",
		"privateInstanceIps":     `["10.50.2.10"]`,
		"keyName":                "lab-key",
		"sshAllowedCidrs":        `["203.0.113.7/32"]`,
		"iamPermissionsBoundary": testBoundary,
	},
}

// recorded is one program run.
type recorded struct {
	name  string
	graph *mockgraph.Graph
}

// programGraphs records the program's graph for every stack file of the repository and every
// feature config.
func programGraphs(t *testing.T) []recorded {
	t.Helper()
	stacks, err := mockgraph.Stacks("..")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stack files %v: %v", stacks, err)
	}
	var out []recorded
	for _, stack := range stacks {
		g, err := mockgraph.RunStackFile(lab.Program, "..", stack)
		if err != nil {
			t.Fatalf("stack %s: %v", stack, err)
		}
		out = append(out, recorded{"stack " + stack, g})
	}
	images := map[string]string{"ami-0123456789abcdef0": "arm64", "ami-0123456789abcdef1": "arm64"}
	for _, name := range slices.Sorted(maps.Keys(featureConfigs)) {
		cfg := map[string]string{"aws:region": "ap-northeast-2"}
		for k, v := range featureConfigs[name] {
			cfg[mockgraph.Project+":"+k] = v
		}
		g, err := mockgraph.Run(lab.Program, cfg, mockgraph.Options{Stack: "features", Images: images})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, recorded{name, g})
	}
	return out
}

// Between them, the feature configs set every key Pulumi.yaml declares: a new setting must be
// turned on here, so that its resources are in the graphs the policy is checked against.
func TestFeatureConfigsSetEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	for key := range project.Config {
		set := false
		for _, cfg := range featureConfigs {
			_, ok := cfg[key]
			set = set || ok
		}
		if !set {
			t.Errorf("no feature config sets %s: turn it on in featureConfigs", key)
		}
	}
	for name, cfg := range featureConfigs {
		for key := range cfg {
			if _, ok := project.Config[key]; !ok && !strings.Contains(key, ":") {
				t.Errorf("%s sets %s, which Pulumi.yaml does not declare", name, key)
			}
		}
	}
}
