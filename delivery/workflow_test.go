package delivery

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const deliveryWorkflow = "../.github/workflows/pulumi.yml"

// workflow is what the checks read of a GitHub Actions workflow.
type workflow struct {
	On          yaml.Node        `yaml:"on"`
	Permissions yaml.Node        `yaml:"permissions"`
	Jobs        map[string]wfJob `yaml:"jobs"`
}

type wfJob struct {
	If          string            `yaml:"if"`
	Environment string            `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Steps []struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
	raw string // the job's YAML, for what it mentions
}

var (
	pinned       = regexp.MustCompile(`^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$`)
	versionNote  = regexp.MustCompile(`^# v[0-9]+\.[0-9]+\.[0-9]+$`)
	exactVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	negation     = regexp.MustCompile(`!([^=]|$)`) // a "not", which could turn a comparison around
)

// workflowProblems lists what breaks the delivery's rules in one workflow file.
func workflowProblems(content []byte) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var root yaml.Node
	var wf workflow
	if err := yaml.Unmarshal(content, &root); err != nil {
		return []string{err.Error()}
	}
	if err := root.Decode(&wf); err != nil {
		return []string{err.Error()}
	}
	for _, use := range usesNodes(&root) {
		if !strings.HasPrefix(use.Value, "./") && (!pinned.MatchString(use.Value) || !versionNote.MatchString(use.LineComment)) {
			bad("uses: %s %s: pin it by a full commit SHA with a comment naming its version (# vX.Y.Z)", use.Value, use.LineComment)
		}
	}
	if wf.Permissions.Kind != yaml.MappingNode || len(wf.Permissions.Content) > 0 {
		bad("the workflow's default permissions must be {}: each job names what it needs")
	}
	onPullRequests := strings.Contains(nodeText(&wf.On), "pull_request")
	var previewGroup, deployGroup string
	for name, job := range wf.Jobs {
		job.raw = jobText(&root, name)
		if job.Permissions == nil {
			bad("job %s: no permissions block", name)
		}
		for _, step := range job.Steps {
			if strings.HasPrefix(step.Uses, "actions/checkout@") && step.With["persist-credentials"] != "false" {
				bad("job %s: a checkout without persist-credentials: false", name)
			}
			if strings.HasPrefix(step.Uses, "pulumi/actions@") {
				problems = append(problems, pulumiStepProblems(name, step.With)...)
			}
		}
		deploys := strings.Contains(job.raw, DeployRoleVariable) || strings.Contains(job.raw, DeployRoleName) || job.Environment == DeployEnvironment
		if onPullRequests && !onlyPushToMain(job.If) && (deploys || (job.Permissions["id-token"] == "write" && !strings.Contains(job.raw, PreviewRoleVariable))) {
			bad("job %s can run for a pull request and reach the deploy role (or an unnamed one): its `if` must require a push to main", name)
		}
		if deploys {
			if job.Environment != DeployEnvironment || !onlyPushToMain(job.If) {
				bad("job %s uses the deploy role outside the %s environment or not only for pushes to main", name, DeployEnvironment)
			}
			if job.Concurrency.Group == "" || job.Concurrency.CancelInProgress {
				bad("job %s: a deploy needs a concurrency group and cancel-in-progress: false", name)
			}
			deployGroup = job.Concurrency.Group
		} else if job.Permissions["id-token"] == "write" {
			previewGroup = job.Concurrency.Group
		}
	}
	if deployGroup != "" && previewGroup == deployGroup {
		bad("previews and deploys share the concurrency group %s", deployGroup)
	}
	return problems
}

// pulumiStepProblems: the CLI version is pinned and the policy pack comes from the base
// checkout, with no config that could change what it enforces.
func pulumiStepProblems(job string, with map[string]string) []string {
	var out []string
	if !exactVersion.MatchString(with["pulumi-version"]) {
		out = append(out, fmt.Sprintf("job %s: pulumi-version %q is not an exact version", job, with["pulumi-version"]))
	}
	if with["policyPacks"] != "base/policy" || with["policyPackConfigs"] != "" {
		out = append(out, fmt.Sprintf("job %s: policyPacks %q (config %q): the pack must be base/policy, the base's, without config", job, with["policyPacks"], with["policyPackConfigs"]))
	}
	return out
}

// onlyPushToMain reports whether a job condition requires a push to main: both comparisons,
// joined by && only.
func onlyPushToMain(cond string) bool {
	c := strings.Join(strings.Fields(cond), " ")
	return !strings.Contains(c, "||") && !negation.MatchString(c) &&
		strings.Contains(c, "github.event_name == 'push'") && strings.Contains(c, "github.ref == 'refs/heads/main'")
}

// usesNodes finds every `uses:` value of the document.
func usesNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 1 && n.Content[i-1].Value == "uses" {
			out = append(out, c)
		}
		out = append(out, usesNodes(c)...)
	}
	return out
}

// jobText is a job's YAML as text.
func jobText(root *yaml.Node, name string) string {
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "jobs" {
			jobs := doc.Content[i+1]
			for j := 0; j+1 < len(jobs.Content); j += 2 {
				if jobs.Content[j].Value == name {
					return nodeText(jobs.Content[j+1])
				}
			}
		}
	}
	return ""
}

func nodeText(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}

// Every workflow of the repository keeps the rules: actions pinned by commit, no default
// permissions, checkouts without stored credentials, and no job that a pull request runs can
// reach the deploy role.
func TestWorkflowsKeepTheRules(t *testing.T) {
	files, err := filepath.Glob("../.github/workflows/*.y*ml")
	if err != nil || len(files) == 0 {
		t.Fatalf("workflows %v: %v", files, err)
	}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range workflowProblems(content) {
			t.Errorf("%s: %s", f, p)
		}
	}
}

// The delivery workflow has the two AWS jobs as the set-up program expects them.
func TestDeliveryWorkflowJobs(t *testing.T) {
	content, err := os.ReadFile(deliveryWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(content, &wf); err != nil {
		t.Fatal(err)
	}
	preview, deploy := wf.Jobs["preview"], wf.Jobs["deploy"]
	if !strings.Contains(preview.If, "github.event_name == 'pull_request'") || preview.Environment != "" {
		t.Errorf("preview job: if %q, environment %q; want pull requests, no environment", preview.If, preview.Environment)
	}
	if deploy.Environment != DeployEnvironment || !onlyPushToMain(deploy.If) {
		t.Errorf("deploy job: environment %q, if %q", deploy.Environment, deploy.If)
	}
	for name, want := range map[string]map[string]string{
		"preview": {"contents": "read", "id-token": "write", "pull-requests": "write"},
		"deploy":  {"contents": "read", "id-token": "write"},
		"test":    {"contents": "read"},
	} {
		if got := wf.Jobs[name].Permissions; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("job %s permissions %v, want %v", name, got, want)
		}
	}
	baseRefs := map[string]string{"preview": "${{ github.event.pull_request.base.sha }}", "deploy": "${{ github.event.before }}"}
	for name, ref := range baseRefs {
		if !slices.ContainsFunc(wf.Jobs[name].Steps, func(s struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		}) bool {
			return strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["path"] == "base" && s.With["ref"] == ref
		}) {
			t.Errorf("job %s does not check out its base (%s) into base/", name, ref)
		}
	}
}

// The checks catch what they are for: each change below breaks one rule.
func TestWorkflowChecksCatchBreakage(t *testing.T) {
	content, err := os.ReadFile(deliveryWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	original := string(content)
	if problems := workflowProblems(content); len(problems) > 0 {
		t.Fatalf("the workflow itself: %v", problems)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"the preview takes the deploy role", "role-to-assume: ${{ vars.AWS_PREVIEW_ROLE_ARN }}", "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}", "can run for a pull request"},
		{"the deploy also runs for pull requests", "if: github.event_name == 'push' && github.ref == 'refs/heads/main'", "if: github.event_name == 'push' || github.event_name == 'pull_request'", "can run for a pull request"},
		{"a pull-request job in the deploy environment", "    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      id-token: write # the OIDC token exchanged for the preview role", "    runs-on: ubuntu-latest\n    environment: deploy\n    permissions:\n      contents: read\n      id-token: write # the OIDC token exchanged for the preview role", "can run for a pull request"},
		{"an action pinned by tag", "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0", "pulumi/actions@v7", "pin it by a full commit SHA"},
		{"a SHA without its version", "# v6.2.3", "", "pin it by a full commit SHA"},
		{"credentials left in the checkout", "          persist-credentials: false\n\n      - uses: actions/setup-go", "          persist-credentials: true\n\n      - uses: actions/setup-go", "persist-credentials: false"},
		{"the PR's own policy pack", "policyPacks: base/policy\n          comment-on-pr", "policyPacks: policy\n          comment-on-pr", "the base's"},
		{"a floating CLI", "pulumi-version: 3.274.1\n          stack-name: ${{ vars.PULUMI_STACK }}\n          cloud-url: ${{ vars.PULUMI_BACKEND_URL }}\n          secrets-provider: ${{ vars.PULUMI_SECRETS_PROVIDER }}\n          policyPacks: base/policy\n          diff", "pulumi-version: ^3\n          stack-name: ${{ vars.PULUMI_STACK }}\n          cloud-url: ${{ vars.PULUMI_BACKEND_URL }}\n          secrets-provider: ${{ vars.PULUMI_SECRETS_PROVIDER }}\n          policyPacks: base/policy\n          diff", "not an exact version"},
		{"a deploy that can be cancelled", "cancel-in-progress: false", "cancel-in-progress: true", "cancel-in-progress: false"},
		{"one group for both", "group: pulumi-preview-${{ github.event.pull_request.number }}", "group: pulumi-deploy-${{ vars.PULUMI_STACK }}", "share the concurrency group"},
		{"default permissions", "permissions: {}", "permissions:\n  contents: write", "default permissions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if strings.Count(original, c.old) == 0 {
				t.Fatalf("the workflow no longer holds %q", c.old)
			}
			problems := workflowProblems([]byte(strings.Replace(original, c.old, c.new, 1)))
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("no problem mentions %q; problems: %v", c.want, problems)
			}
		})
	}
}

// docs/delivery.md lists every action of the preview role.
func TestDocsListThePreviewRole(t *testing.T) {
	page, err := os.ReadFile("../docs/delivery.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range PreviewGrants() {
		if !strings.Contains(string(page), "| `"+g.Action+"` |") {
			t.Errorf("docs/delivery.md does not list the preview role's %s", g.Action)
		}
	}
}
