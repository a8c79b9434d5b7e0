package delivery

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// testBoundary is the boundary the feature configs set.
const testBoundary = mockgraph.FeatureBoundary

// testScope is the scope the tests generate the policies for.
var testScope = Scope{
	Partition: "aws", Region: "ap-northeast-2", Account: "123456789012",
	StateBucket: "nat-instance-state-123456789012",
	KeyArn:      "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	BoundaryArn: testBoundary, DeployRole: DeployRoleName, PreviewRole: PreviewRoleName,
	AlarmTopicArns: []string{existingTopic},
}

// existingTopic is the topic a feature config's alarms notify (alarmTopicArn): the set-up
// names it in the scope, as it would name a deployed stack's.
var existingTopic = mockgraph.Features[existingTopicFeature]["alarmTopicArn"]

const existingTopicFeature = "features on, alarms to an existing topic, no dashboard"

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
	for _, name := range mockgraph.FeatureNames() {
		g, err := mockgraph.RunFeature(lab.Program, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, recorded{name, g})
	}
	return out
}

// Between them, the feature configs set every key Pulumi.yaml declares: a new setting must be
// turned on there, so that its resources are in the graphs the policy is checked against.
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
		for _, cfg := range mockgraph.Features {
			_, ok := cfg[key]
			set = set || ok
		}
		if !set {
			t.Errorf("no feature config sets %s: turn it on in mockgraph.Features", key)
		}
	}
	for name, cfg := range mockgraph.Features {
		for key := range cfg {
			if _, ok := project.Config[key]; !ok && !strings.Contains(key, ":") {
				t.Errorf("%s sets %s, which Pulumi.yaml does not declare", name, key)
			}
		}
	}
}
