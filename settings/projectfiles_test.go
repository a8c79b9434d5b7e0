package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// declaredKey is one key of Pulumi.yaml's config block.
type declaredKey struct {
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Items       *struct {
		Type string `yaml:"type"`
	} `yaml:"items"`
}

func readProject(t *testing.T) map[string]declaredKey {
	t.Helper()
	raw, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Name    string                 `yaml:"name"`
		Runtime any                    `yaml:"runtime"`
		Config  map[string]declaredKey `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	if project.Name != Namespace || fmt.Sprint(project.Runtime) != "go" {
		t.Fatalf("Pulumi.yaml: project %q runtime %v, want %q runtime go", project.Name, project.Runtime, Namespace)
	}
	return project.Config
}

// Pulumi applies Pulumi.yaml's defaults; Load applies Defaults when run without the CLI (tests,
// the network twin). Both must say the same.
func TestPulumiYamlDeclaresEveryKeyWithTheProgramsDefault(t *testing.T) {
	declared := readProject(t)
	defaults := map[string]any{
		KeyVpcCidr: Defaults.VpcCidr, KeyZoneCount: Defaults.ZoneCount, KeyNatStrategy: Defaults.NatStrategy,
		KeyAvailabilityZone: Defaults.AvailabilityZone, KeyAvailabilityZones: Defaults.AvailabilityZones,
		KeyPublicSubnetCidr: Defaults.PublicSubnetCidr, KeyPublicSubnetCidrs: Defaults.PublicSubnetCidrs,
		KeyPrivateSubnetCidr: Defaults.PrivateSubnetCidr, KeyPrivateSubnetCidrs: Defaults.PrivateSubnetCidrs,
		KeyNatPrivateIP: Defaults.NatPrivateIP, KeyNatPrivateIPs: Defaults.NatPrivateIPs,
		KeyPrivateInstanceIPs: Defaults.PrivateInstanceIPs,
		KeyNatInstanceType:    Defaults.NatInstanceType, KeyPrivateInstanceType: Defaults.PrivateInstanceType,
		KeyKeyName: Defaults.KeyName, KeySSHAllowedCidrs: Defaults.SSHAllowedCidrs,
		KeyNatAmiID: Defaults.NatAmiID, KeyPrivateAmiID: Defaults.PrivateAmiID, KeyNatPairRoll: Defaults.NatPairRoll,
		KeyNatHighAvailability: Defaults.NatHighAvailability, KeyNatMemberIPs: Defaults.NatMemberIPs,
		KeyAlarmEmail: Defaults.AlarmEmail, KeyAlarmTopicArn: Defaults.AlarmTopicArn,
		KeyAlarmTopicKmsKeyID: Defaults.AlarmTopicKmsKeyID, KeyDashboard: Defaults.Dashboard,
		KeyIamPermissionsBoundary: Defaults.IamPermissionsBoundary,
	}
	for key, want := range defaults {
		d, ok := declared[key]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s", key)
			continue
		}
		if d.Description == "" {
			t.Errorf("Pulumi.yaml: %s has no description", key)
		}
		wantType := "string"
		if _, isInt := want.(int); isInt {
			wantType = "integer"
		}
		if _, isBool := want.(bool); isBool {
			wantType = "boolean"
		}
		if _, isList := want.([]string); isList {
			wantType = "array"
			if d.Items == nil || d.Items.Type != "string" {
				t.Errorf("Pulumi.yaml: %s items must be strings", key)
			}
		}
		if d.Type != wantType {
			t.Errorf("Pulumi.yaml: %s type %q, want %q", key, d.Type, wantType)
		}
		if got := fmt.Sprint(normalize(d.Default)); got != fmt.Sprint(normalize(want)) {
			t.Errorf("Pulumi.yaml: %s default %s, the program's is %s", key, got, fmt.Sprint(normalize(want)))
		}
	}
	for key := range declared {
		if _, ok := defaults[key]; !ok {
			t.Errorf("Pulumi.yaml declares %s, which the program does not read", key)
		}
	}
}

// normalize makes YAML lists and Go string slices (nil or empty) compare alike.
func normalize(v any) any {
	switch v := v.(type) {
	case []any:
		out := []string{}
		for _, item := range v {
			out = append(out, fmt.Sprint(item))
		}
		return out
	case []string:
		return append([]string{}, v...)
	}
	return v
}

// Every stack file sets only declared keys (or a provider's), and its values parse.
func TestStackFilesUseDeclaredKeys(t *testing.T) {
	declared := readProject(t)
	files, err := filepath.Glob("../Pulumi.*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stack files found: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var stack struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(raw, &stack); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, ok := stack.Config["aws:region"]; !ok {
			t.Errorf("%s does not set aws:region", file)
		}
		for key, value := range stack.Config {
			name, inProject := strings.CutPrefix(key, Namespace+":")
			if !inProject {
				continue
			}
			d, ok := declared[name]
			if !ok {
				t.Errorf("%s sets %s, which Pulumi.yaml does not declare", file, key)
				continue
			}
			_, isList := value.([]any)
			if isList != (d.Type == "array") {
				t.Errorf("%s: %s is %T, Pulumi.yaml says %s", file, key, value, d.Type)
			}
		}
	}
}
