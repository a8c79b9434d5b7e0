package delivery

import (
	"encoding/json"
	"testing"

	"nat-instance/compute"
)

// The boundary is no narrower than what the program's roles are given (every action of their
// inline policies, and the one managed policy they get is the SSM core policy, whose actions the
// boundary repeats), and it names no IAM action.
func TestBoundaryHoldsEveryRolesPolicies(t *testing.T) {
	doc := allPolicies(t)["boundary"]
	inBoundary := map[string]bool{}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			inBoundary[a] = true
			if isIAM(a) {
				t.Errorf("the boundary allows %s", a)
			}
		}
	}
	for _, r := range programGraphs(t) {
		for _, p := range r.graph.OfType("aws:iam/rolePolicy:RolePolicy") {
			var policy struct {
				Statement []struct {
					Action any
				}
			}
			if err := json.Unmarshal([]byte(p.String("policy")), &policy); err != nil {
				t.Fatalf("%s: role policy %s: %v", r.name, p.Name, err)
			}
			for _, st := range policy.Statement {
				actions, ok := st.Action.([]any)
				if !ok {
					actions = []any{st.Action}
				}
				for _, a := range actions {
					if !inBoundary[a.(string)] {
						t.Errorf("%s: role policy %s allows %s, which the boundary does not", r.name, p.Name, a)
					}
				}
			}
		}
		for _, a := range r.graph.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
			if want := "arn:aws:iam::aws:policy/" + SSMCorePolicy; a.String("policyArn") != want {
				t.Errorf("%s: %s attaches %s; the boundary and the deploy role allow only %s", r.name, a.Name, a.String("policyArn"), want)
			}
		}
	}
	if MetricsNamespace != compute.MetricsNamespace {
		t.Errorf("the boundary allows metrics in %q, the NATs publish to %q", MetricsNamespace, compute.MetricsNamespace)
	}
}
