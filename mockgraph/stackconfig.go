package mockgraph

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Stacks lists the stacks that have a Pulumi.<stack>.yaml in projectDir.
func Stacks(projectDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(projectDir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	slices.Sort(stacks)
	return stacks, nil
}

// StackConfig reads Pulumi.<stack>.yaml and returns its config the way the Pulumi CLI hands it
// to a program: strings as they are, lists and objects as JSON.
func StackConfig(projectDir, stack string) (map[string]string, error) {
	path := filepath.Join(projectDir, "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for key, value := range file.Config {
		switch v := value.(type) {
		case string:
			out[key] = v
		case []any, map[string]any:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			out[key] = string(b)
		default:
			out[key] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// RunStackFile runs program with the config of Pulumi.<stack>.yaml in projectDir, as that stack.
func RunStackFile(program pulumi.RunFunc, projectDir, stack string) (*Graph, error) {
	cfg, err := StackConfig(projectDir, stack)
	if err != nil {
		return nil, err
	}
	return Run(program, cfg, Options{Stack: stack})
}
