package main

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"nat-instance/mockgraph"
)

// Every stack file of the set-up runs.
func TestEveryStackFileRuns(t *testing.T) {
	stacks, err := mockgraph.Stacks(".")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stack files %v: %v", stacks, err)
	}
	for _, stack := range stacks {
		cfg, err := mockgraph.StackConfig(".", stack)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mockgraph.Run(program, cfg, mockgraph.Options{Project: project, Stack: stack}); err != nil {
			t.Errorf("stack %s: %v", stack, err)
		}
	}
}

// A bad config fails before any resource, naming the key, the value and what is allowed.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"no repository", []string{"githubRepository", ""}, []string{`nat-instance-delivery:githubRepository = ""`, "owner/name"}},
		{"repository without owner", []string{"githubRepository", "nat-instance"}, []string{`githubRepository = "nat-instance"`, "owner/name"}},
		{"repository with a wildcard", []string{"githubRepository", "my-org/*"}, []string{`githubRepository = "my-org/*"`, "owner/name"}},
		{"provider of another issuer", []string{"oidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, []string{`oidcProviderArn = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"`, "token.actions.githubusercontent.com"}},
		{"bucket name with capitals", []string{"stateBucket", "My-State"}, []string{`stateBucket = "My-State"`, "S3 bucket name"}},
		{"key users not a list", []string{"keyUsers", "arn:aws:iam::123456789012:role/Admin"}, []string{`keyUsers = "arn:aws:iam::123456789012:role/Admin"`, "list of IAM role or user ARNs"}},
		{"key user a group", []string{"keyUsers", `["arn:aws:iam::123456789012:group/admins"]`}, []string{`keyUsers = "arn:aws:iam::123456789012:group/admins"`, "IAM role or user"}},
		{"alarm topics not a list", []string{"alarmTopicArns", "arn:aws:sns:ap-northeast-2:123456789012:ops"}, []string{`alarmTopicArns = "arn:aws:sns:ap-northeast-2:123456789012:ops"`, "list of SNS topic ARNs"}},
		{"alarm topic not a topic", []string{"alarmTopicArns", `["arn:aws:sqs:ap-northeast-2:123456789012:ops"]`}, []string{`alarmTopicArns = "arn:aws:sqs:ap-northeast-2:123456789012:ops"`, "SNS topic ARN"}},
		{"alarm topic in another region", []string{"alarmTopicArns", `["arn:aws:sns:us-east-1:123456789012:ops"]`}, []string{`alarmTopicArns = "arn:aws:sns:us-east-1:123456789012:ops"`, "ap-northeast-2"}},
		{"alarm topic wildcard", []string{"alarmTopicArns", `["arn:aws:sns:ap-northeast-2:123456789012:*"]`}, []string{`alarmTopicArns = "arn:aws:sns:ap-northeast-2:123456789012:*"`, "SNS topic ARN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := mockgraph.StackConfig(".", "ci")
			if err != nil {
				t.Fatal(err)
			}
			cfg[project+":"+tc.kv[0]] = tc.kv[1]
			g, err := mockgraph.Run(program, cfg, mockgraph.Options{Project: project, Stack: "ci"})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(g.Resources) > 0 {
				t.Errorf("%d resources registered before the error", len(g.Resources))
			}
		})
	}
}

// Pulumi.yaml declares every key the program reads, with a type, a description and a default,
// and keeps the set-up's state in a local backend.
func TestProjectFile(t *testing.T) {
	raw, err := os.ReadFile("Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Name    string `yaml:"name"`
		Backend struct {
			URL string `yaml:"url"`
		} `yaml:"backend"`
		Config map[string]struct {
			Type        string `yaml:"type"`
			Description string `yaml:"description"`
			Default     any    `yaml:"default"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.Name != project || !strings.HasPrefix(file.Backend.URL, "file://") {
		t.Errorf("project %q, backend %q: want %s with a file:// backend", file.Name, file.Backend.URL, project)
	}
	keys := []string{keyGithubRepository, keyOIDCProviderArn, keyStateBucket, keyKeyUsers, keyAlarmTopicArns}
	if got := slices.Sorted(maps.Keys(file.Config)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
		t.Errorf("Pulumi.yaml declares %v, the program reads %v", got, keys)
	}
	for key, d := range file.Config {
		if d.Type == "" || d.Description == "" || d.Default == nil {
			t.Errorf("Pulumi.yaml: %s lacks a type, description or default", key)
		}
	}
}
