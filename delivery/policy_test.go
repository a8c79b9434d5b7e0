package delivery

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Every action the three policies name is in the reference; none is a wildcard; an action is
// allowed on "*" only when the reference gives it no resource type, and otherwise only on ARNs
// of its own service in the scope's partition; every condition key is one the reference lists
// for the action.
func TestPoliciesFollowTheReference(t *testing.T) {
	ref, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range allPolicies(t) {
		for _, st := range doc.Statement {
			if st.Effect != "Allow" {
				continue
			}
			for _, action := range st.Action {
				auth, ok := ref[action]
				switch {
				case strings.ContainsAny(action, "*?"):
					t.Errorf("%s %s: wildcard action %s", name, st.Sid, action)
				case !ok:
					t.Errorf("%s %s: %s is not in the reference", name, st.Sid, action)
				case slices.Contains(st.Resource, "*") && auth.ScopedTo() && !inBoundarysSSMCore(name, action):
					t.Errorf("%s %s: %s on \"*\", but the reference scopes it to %v", name, st.Sid, action, auth.Resources)
				case !slices.Contains(st.Resource, "*") && !auth.ScopedTo():
					t.Errorf("%s %s: %s on %v, but it supports no resource-level permissions", name, st.Sid, action, st.Resource)
				}
				for _, r := range st.Resource {
					if r != "*" && !strings.HasPrefix(r, "arn:aws:"+serviceOf(action)+":") {
						t.Errorf("%s %s: %s on %s, not an ARN of its service", name, st.Sid, action, r)
					}
				}
				for _, keys := range st.Condition {
					for key := range keys {
						if !strings.HasPrefix(key, "aws:") && !slices.Contains(auth.Condition, key) {
							t.Errorf("%s %s: condition %s is not one of %s's keys %v", name, st.Sid, key, action, auth.Condition)
						}
					}
				}
			}
		}
	}
}

// inBoundarysSSMCore: the boundary repeats AWS's own grant of AmazonSSMManagedInstanceCore,
// which names "*" for every action (some of which the reference scopes to documents or
// instances): the boundary must not be narrower than the policy the roles carry.
func inBoundarysSSMCore(policy, action string) bool {
	return policy == "boundary" && slices.Contains(ssmCoreActions, action)
}

func allPolicies(t *testing.T) map[string]Document {
	t.Helper()
	out := map[string]Document{}
	for name, build := range map[string]func(Scope) (Document, error){"deploy": DeployPolicy, "preview": PreviewPolicy, "boundary": BoundaryPolicy} {
		doc, err := build(testScope)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = doc
	}
	return out
}

// IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): a role's inline policies total at most
// 10,240 characters, a managed policy 6,144; white space does not count.
func TestPoliciesFitIAMQuotas(t *testing.T) {
	limits := map[string]int{"deploy": 10240, "preview": 10240, "boundary": 6144}
	for name, doc := range allPolicies(t) {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > limits[name] {
			t.Errorf("%s policy is %d characters, over IAM's %d", name, len(b), limits[name])
		}
		actions := 0
		for _, st := range doc.Statement {
			if st.Effect == "Allow" {
				actions += len(st.Action)
			}
		}
		t.Logf("%s policy: %d actions allowed in %d statements, %d characters of IAM's %d", name, actions, len(doc.Statement), len(b), limits[name])
	}
}

// The deploy role's IAM: roles and instance profiles only of the program's names (and
// CloudWatch's service-linked role, only for events.amazonaws.com); a role can only be created
// or changed while it carries the boundary; only the SSM core policy may be attached; roles are
// passed only to EC2 and VPC flow logs; the boundary can neither be removed nor edited.
func TestDeployRoleCannotEscalate(t *testing.T) {
	doc := deployPolicy(t)
	ref, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	ssmCore := "arn:aws:iam::aws:policy/" + SSMCorePolicy
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, action := range st.Action {
			if !isIAM(action) {
				continue
			}
			auth := ref[action]
			for _, r := range st.Resource {
				program := strings.Contains(r, ":role/nat-") || strings.Contains(r, ":instance-profile/nat-")
				slr := action == "iam:CreateServiceLinkedRole" && strings.HasSuffix(r, ":role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*")
				if !program && !slr {
					t.Errorf("%s: %s on %s, outside the program's roles and profiles", st.Sid, action, r)
				}
			}
			write := auth.Access != "Read" && auth.Access != "List"
			if write && slices.Contains(auth.Condition, "iam:PermissionsBoundary") && st.Condition["StringEquals"]["iam:PermissionsBoundary"] != testBoundary {
				t.Errorf("%s: %s without the condition iam:PermissionsBoundary = %s", st.Sid, action, testBoundary)
			}
			switch action {
			case "iam:PassRole":
				if got := st.Condition["StringEquals"]["iam:PassedToService"]; !slices.Equal(asStrings(got), []string{"ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"}) {
					t.Errorf("%s: iam:PassRole passed to %v, want only EC2 and VPC flow logs", st.Sid, got)
				}
			case "iam:AttachRolePolicy", "iam:DetachRolePolicy":
				if got := st.Condition["ArnEquals"]["iam:PolicyARN"]; got != ssmCore {
					t.Errorf("%s: %s of %v, want only %s", st.Sid, action, got, ssmCore)
				}
			case "iam:CreateServiceLinkedRole":
				if got := st.Condition["StringEquals"]["iam:AWSServiceName"]; got != "events.amazonaws.com" {
					t.Errorf("%s: service-linked role of %v, want events.amazonaws.com", st.Sid, got)
				}
			case "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:CreatePolicy":
				t.Errorf("%s allows %s", st.Sid, action)
			}
		}
	}
}

func asStrings(v any) []string {
	if s, ok := v.([]string); ok {
		return s
	}
	return nil
}

// The deploy role cannot change itself or the preview role: no Allow statement's resources match
// them, and a Deny statement names every change to a role it is allowed, on both.
func TestDeployRoleCannotChangeTheDeliveryRoles(t *testing.T) {
	doc := deployPolicy(t)
	ref, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{testScope.RoleArn(testScope.DeployRole), testScope.RoleArn(testScope.PreviewRole)}
	var deny *Statement
	for i, st := range doc.Statement {
		if st.Effect == "Deny" {
			deny = &doc.Statement[i]
		}
	}
	if deny == nil {
		t.Fatal("no Deny statement")
	}
	for _, name := range []string{DeployRoleName, PreviewRoleName, BoundaryPolicyName} {
		for _, p := range NamePrefixes {
			if strings.HasPrefix(name, p) {
				t.Errorf("%s begins with the program's name prefix %s", name, p)
			}
		}
	}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, action := range st.Action {
			for _, role := range roles {
				if isIAM(action) && matchesAny(st.Resource, role) {
					t.Errorf("%s allows %s on the delivery role %s", st.Sid, action, role)
				}
				if writesRoles(action, ref[action]) && !(slices.Contains(deny.Action, action) && slices.Contains(deny.Resource, role)) {
					t.Errorf("the Deny statement does not deny %s on %s", action, role)
				}
			}
		}
	}
}

// The preview role reads: every action is a Read or List in the reference, except kms:Decrypt
// (classed Write, it changes nothing), and it is exactly the backend's reads and the data
// sources' calls.
func TestPreviewRoleOnlyReads(t *testing.T) {
	ref, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	doc := allPolicies(t)["preview"]
	var got, want []string
	for _, st := range doc.Statement {
		for _, action := range st.Action {
			got = append(got, action)
			if access := ref[action].Access; access != "Read" && access != "List" && action != "kms:Decrypt" {
				t.Errorf("preview allows %s (%s)", action, access)
			}
		}
	}
	for _, g := range PreviewGrants() {
		want = append(want, g.Action)
		if g.Why == "" {
			t.Errorf("preview grant %s gives no reason", g.Action)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, slices.Compact(want)) {
		t.Errorf("preview allows %v, want %v", got, want)
	}
}
