package delivery

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every resource type and data source the program uses, in every stack file's graph and with
// every feature on, has its row; every row is used by some graph or announced in Pending, and a
// pending type that a graph registers must leave Pending.
func TestTableCoversEveryGraph(t *testing.T) {
	registered := map[string]string{} // type or invoke token -> the first graph that uses it
	for _, r := range programGraphs(t) {
		for _, res := range r.graph.Resources {
			if res.Custom && registered[res.Type] == "" {
				registered[res.Type] = r.name
			}
		}
		for _, inv := range r.graph.Invokes {
			if registered[inv.Token] == "" {
				registered[inv.Token] = r.name
			}
		}
	}
	for token, where := range registered {
		_, isResource := Resources[token]
		_, isInvoke := Invokes[token]
		if !isResource && !isInvoke {
			t.Errorf("%s (registered by %s) has no row in Resources or Invokes: its calls are not in the deploy policy", token, where)
		}
		if why, ok := Pending[token]; ok {
			t.Errorf("%s is registered by %s but still listed in Pending (%s): remove it from Pending", token, where, why)
		}
	}
	for typ := range Resources {
		if _, ok := registered[typ]; !ok {
			if _, pending := Pending[typ]; !pending {
				t.Errorf("row %s: no graph registers it and Pending does not announce it: remove the row", typ)
			}
		}
	}
	for token := range Invokes {
		if _, ok := registered[token]; !ok {
			t.Errorf("invoke %s: no graph calls it: remove the row", token)
		}
	}
	for typ := range Pending {
		if _, ok := Resources[typ]; !ok {
			t.Errorf("Pending announces %s but Resources has no row for it", typ)
		}
	}
}

// The deploy policy allows exactly the table's calls, the data sources' and the backend's:
// nothing else, each once.
func TestDeployPolicyGrantsTheTableAndNothingElse(t *testing.T) {
	doc := deployPolicy(t)
	want := map[string]bool{}
	for _, c := range Resources {
		for _, a := range c.All() {
			want[a] = true
		}
	}
	for _, inv := range Invokes {
		for _, a := range inv.Actions {
			want[a] = true
		}
	}
	for _, g := range append(append([]Grant(nil), readState...), writeState...) {
		want[g.Action] = true
	}
	seen := map[string]bool{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, a := range st.Action {
			if !want[a] {
				t.Errorf("%s allows %s, which no row, data source or backend grant calls", st.Sid, a)
			}
			if seen[a] {
				t.Errorf("%s allows %s a second time", st.Sid, a)
			}
			seen[a] = true
		}
	}
	for a := range want {
		if !seen[a] {
			t.Errorf("the table calls %s but no statement allows it", a)
		}
	}
}

// namedTypes are the types IAM scopes by name, each with the action that creates one and its ARN
// in the scope.
var namedTypes = map[string]struct {
	create string
	arn    func(name string) string
}{
	"aws:iam/role:Role":                       {"iam:CreateRole", func(n string) string { return testScope.RoleArn(n) }},
	"aws:iam/instanceProfile:InstanceProfile": {"iam:CreateInstanceProfile", func(n string) string { return testScope.arn("iam", "", testScope.Account, "instance-profile/"+n) }},
	"aws:cloudwatch/logGroup:LogGroup": {"logs:CreateLogGroup", func(n string) string {
		return testScope.arn("logs", testScope.Region, testScope.Account, "log-group:"+n)
	}},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"cloudwatch:PutMetricAlarm", func(n string) string {
		return testScope.arn("cloudwatch", testScope.Region, testScope.Account, "alarm:"+n)
	}},
	"aws:cloudwatch/dashboard:Dashboard": {"cloudwatch:PutDashboard", func(n string) string { return testScope.arn("cloudwatch", "", testScope.Account, "dashboard/"+n) }},
	"aws:sns/topic:Topic":                {"sns:CreateTopic", func(n string) string { return testScope.arn("sns", testScope.Region, testScope.Account, n) }},
}

// Every named resource of every graph can be created under the policy: its name (given, or
// Pulumi's auto-name: the logical name and a random suffix) lies in the ARNs the create action
// is allowed on.
func TestNamedResourcesAreInScope(t *testing.T) {
	doc := deployPolicy(t)
	for typ := range namedTypes {
		if _, ok := Resources[typ]; !ok {
			t.Errorf("namedTypes lists %s, which has no row", typ)
		}
	}
	for _, r := range programGraphs(t) {
		for _, res := range r.graph.Resources {
			named, ok := namedTypes[res.Type]
			if !ok {
				continue
			}
			name := res.String("name")
			if name == "" {
				name = res.Name + "-1a2b3c4"
			}
			if arn := named.arn(name); !allows(doc, named.create, arn) {
				t.Errorf("%s: %s %s (%s) is outside what %s is allowed on", r.name, res.Type, res.Name, arn, named.create)
			}
		}
	}
}

// deployPolicy generates the deploy policy for the test scope.
func deployPolicy(t *testing.T) Document {
	t.Helper()
	doc, err := DeployPolicy(testScope)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// allows reports whether an Allow statement of doc names action on a resource pattern that
// matches arn (conditions aside).
func allows(doc Document, action, arn string) bool {
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, action) && matchesAny(st.Resource, arn) {
			return true
		}
	}
	return false
}

// matchesAny reports whether an IAM resource pattern ("*" and "?" wildcards) matches arn.
func matchesAny(patterns []string, arn string) bool {
	for _, p := range patterns {
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
		if regexp.MustCompile(re).MatchString(arn) {
			return true
		}
	}
	return false
}

// The pattern matcher the tests rely on.
func TestMatchesAny(t *testing.T) {
	for _, c := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:iam::1:role/nat-lab-*", "arn:aws:iam::1:role/nat-lab-ssm-1a2b3c4", true},
		{"arn:aws:iam::1:role/nat-lab-*", "arn:aws:iam::1:role/ci-nat-instance-deploy", false},
		{"*", "anything", true},
		{"arn:aws:s3:::b/.pulumi/*", "arn:aws:s3:::b/other", false},
	} {
		if got := matchesAny([]string{c.pattern}, c.arn); got != c.want {
			t.Errorf("%s matches %s: %v, want %v", c.pattern, c.arn, got, c.want)
		}
	}
}
