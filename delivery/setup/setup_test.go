package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"nat-instance/delivery"
	"nat-instance/mockgraph"
)

const project = "nat-instance-delivery"

// Resource types of the set-up.
const (
	tBucket     = "aws:s3/bucketV2:BucketV2"
	tVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tPublic     = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tEncryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	tKey        = "aws:kms/key:Key"
	tAlias      = "aws:kms/alias:Alias"
	tProvider   = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
	tRole       = "aws:iam/role:Role"
	tRolePolicy = "aws:iam/rolePolicy:RolePolicy"
	tManaged    = "aws:iam/policy:Policy"
)

// run records the set-up with the example stack's config and the given keys on top.
func run(t *testing.T, kv ...string) *mockgraph.Graph {
	t.Helper()
	cfg, err := mockgraph.StackConfig(".", "ci")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[project+":"+kv[i]] = kv[i+1]
	}
	g, err := mockgraph.Run(program, cfg, mockgraph.Options{Project: project, Stack: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func one(t *testing.T, g *mockgraph.Graph, typ string) mockgraph.Resource {
	t.Helper()
	rs := g.OfType(typ)
	if len(rs) != 1 {
		t.Fatalf("%d %s, want one", len(rs), typ)
	}
	return rs[0]
}

// statements decodes a policy document input.
func statements(t *testing.T, r mockgraph.Resource, key string) []delivery.Statement {
	t.Helper()
	var doc struct {
		Statement []struct {
			delivery.Statement
			Action, Resource any
		}
	}
	if err := json.Unmarshal([]byte(r.String(key)), &doc); err != nil {
		t.Fatalf("%s %s: %v", r.Name, key, err)
	}
	var out []delivery.Statement
	for _, st := range doc.Statement {
		st.Statement.Action, st.Statement.Resource = list(st.Action), list(st.Resource)
		out = append(out, st.Statement)
	}
	return out
}

// list reads a policy element that is a string or a list of strings.
func list(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return mockgraph.AsStrings(v)
}

// The state bucket: named after the account and region, versioned, no public access, ACLs off,
// encrypted by default with the state key, and a policy that refuses every request without TLS.
func TestStateBucket(t *testing.T) {
	g := run(t)
	bucket, key := one(t, g, tBucket), one(t, g, tKey)
	if got := bucket.String("bucket"); got != "nat-instance-state-123456789012-ap-northeast-2" {
		t.Errorf("bucket %q, want nat-instance-state-<account>-<region>", got)
	}
	for _, typ := range []string{tVersioning, tPublic, tOwnership, tEncryption, tPolicy} {
		if r := one(t, g, typ); r.String("bucket") != bucket.ID {
			t.Errorf("%s is on %q, not the state bucket", typ, r.String("bucket"))
		}
	}
	if got := one(t, g, tVersioning).Object("versioningConfiguration")["status"]; got != "Enabled" {
		t.Errorf("versioning %v, want Enabled", got)
	}
	public := one(t, g, tPublic)
	for _, k := range []string{"blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"} {
		if public.Inputs[k] != true {
			t.Errorf("public access block %s = %v, want true", k, public.Inputs[k])
		}
	}
	if got := one(t, g, tOwnership).Object("rule")["objectOwnership"]; got != "BucketOwnerEnforced" {
		t.Errorf("object ownership %v, want BucketOwnerEnforced (ACLs off)", got)
	}
	rules := one(t, g, tEncryption).Objects("rules")
	if len(rules) != 1 {
		t.Fatalf("%d encryption rules, want one", len(rules))
	}
	sse, _ := rules[0]["applyServerSideEncryptionByDefault"].(map[string]any)
	if sse["sseAlgorithm"] != "aws:kms" || sse["kmsMasterKeyId"] != key.State["arn"] || rules[0]["bucketKeyEnabled"] != true {
		t.Errorf("encryption %v, want aws:kms with the state key %v and a bucket key", rules[0], key.State["arn"])
	}
	policy := statements(t, one(t, g, tPolicy), "policy")
	arn := bucket.State["arn"].(string)
	want := delivery.Statement{Sid: "TLSOnly", Effect: "Deny", Principal: map[string]any{"AWS": "*"}, Action: []string{"s3:*"},
		Resource: []string{arn, arn + "/*"}, Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}}
	if len(policy) != 1 || !equalJSON(policy[0], want) {
		t.Errorf("bucket policy %+v, want only %+v", policy, want)
	}
}

// The state key: rotated, its alias the one the secrets provider names, and a policy in which
// the account may administer it and only the named roles and key users may use it.
func TestStateKey(t *testing.T) {
	const admin = "arn:aws:iam::123456789012:role/Admin"
	g := run(t, "keyUsers", `["`+admin+`"]`)
	key := one(t, g, tKey)
	if key.Inputs["enableKeyRotation"] != true {
		t.Errorf("key rotation %v, want on", key.Inputs["enableKeyRotation"])
	}
	if alias := one(t, g, tAlias); alias.String("name") != keyAlias || alias.String("targetKeyId") != key.ID {
		t.Errorf("alias %q -> %q, want %s -> the key", alias.String("name"), alias.String("targetKeyId"), keyAlias)
	}
	roles := roleArns(t, g)
	uses := map[string][]string{}
	for _, st := range statements(t, key, "policy") {
		principal := list(st.Principal["AWS"])
		for _, p := range principal {
			uses[p] = append(uses[p], st.Action...)
		}
		if st.Effect != "Allow" || !slices.Equal(st.Resource, []string{"*"}) || len(principal) == 0 {
			t.Errorf("key policy statement %+v: want an Allow of named principals on the key", st)
		}
	}
	crypto := func(actions []string) []string {
		var out []string
		for _, a := range actions {
			if slices.Contains([]string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"}, a) || strings.Contains(a, "*") {
				out = append(out, a)
			}
		}
		slices.Sort(out)
		return out
	}
	want := map[string][]string{
		"arn:aws:iam::123456789012:root": nil,
		roles[delivery.DeployRoleName]:   {"kms:Decrypt", "kms:GenerateDataKey"},
		roles[delivery.PreviewRoleName]:  {"kms:Decrypt"},
		admin:                            {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"},
	}
	if !slices.Equal(slices.Sorted(maps.Keys(uses)), slices.Sorted(maps.Keys(want))) {
		t.Errorf("key policy names %v, want %v", slices.Sorted(maps.Keys(uses)), slices.Sorted(maps.Keys(want)))
	}
	for principal, actions := range want {
		if got := crypto(uses[principal]); !slices.Equal(got, actions) {
			t.Errorf("%s may %v with the key, want %v", principal, got, actions)
		}
	}
	if !slices.Contains(uses["arn:aws:iam::123456789012:root"], "kms:PutKeyPolicy") {
		t.Error("the account cannot administer the key (kms:PutKeyPolicy): it would be locked out")
	}
}

// roleArns maps the set-up's role names to their ARNs.
func roleArns(t *testing.T, g *mockgraph.Graph) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range g.OfType(tRole) {
		out[r.String("name")] = r.State["arn"].(string)
	}
	if len(out) != 2 {
		t.Fatalf("roles %v, want the deploy and preview roles", out)
	}
	return out
}

// GitHub's OIDC provider is created with the AWS audience and no thumbprint, or an existing one
// is used; each role trusts exactly that provider, the audience and one subject: pull requests
// for previews, the deploy environment for deploys.
func TestRolesTrustExactlyTheirSubject(t *testing.T) {
	const existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	for name, kv := range map[string][]string{"new provider": nil, "existing provider": {"oidcProviderArn", existing}} {
		t.Run(name, func(t *testing.T) {
			g := run(t, kv...)
			providerArn := existing
			if kv == nil {
				p := one(t, g, tProvider)
				if p.String("url") != "https://token.actions.githubusercontent.com" || !slices.Equal(p.Strings("clientIdLists"), []string{"sts.amazonaws.com"}) || len(p.Strings("thumbprintLists")) > 0 {
					t.Errorf("provider %v", p.Inputs)
				}
				providerArn = p.State["arn"].(string)
			} else if n := len(g.OfType(tProvider)); n > 0 {
				t.Errorf("%d providers created beside the existing one", n)
			}
			want := map[string]string{
				delivery.PreviewRoleName: "repo:my-org/nat-instance:pull_request",
				delivery.DeployRoleName:  "repo:my-org/nat-instance:environment:deploy",
			}
			for _, role := range g.OfType(tRole) {
				trust := statements(t, role, "assumeRolePolicy")
				wantTrust := delivery.Statement{Effect: "Allow", Principal: map[string]any{"Federated": providerArn},
					Action: []string{"sts:AssumeRoleWithWebIdentity"}, Condition: map[string]map[string]any{"StringEquals": {
						"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
						"token.actions.githubusercontent.com:sub": want[role.String("name")],
					}}}
				if len(trust) != 1 || !equalJSON(trust[0], wantTrust) {
					t.Errorf("role %s trusts %+v, want exactly %+v", role.String("name"), trust, wantTrust)
				}
			}
		})
	}
}

// The roles' policies and the boundary are the documents package delivery generates for this
// account, region, bucket, key and boundary.
func TestRolePoliciesAreTheGeneratedOnes(t *testing.T) {
	g := run(t)
	boundary := one(t, g, tManaged)
	scope := delivery.Scope{Partition: "aws", Region: "ap-northeast-2", Account: "123456789012",
		StateBucket: "nat-instance-state-123456789012-ap-northeast-2", KeyArn: one(t, g, tKey).State["arn"].(string),
		BoundaryArn: boundary.State["arn"].(string), DeployRole: delivery.DeployRoleName, PreviewRole: delivery.PreviewRoleName}
	roles := roleArns(t, g)
	policies := g.OfType(tRolePolicy)
	if len(policies) != 2 {
		t.Fatalf("%d role policies, want one per role", len(policies))
	}
	for _, p := range policies {
		build := map[string]func(delivery.Scope) (delivery.Document, error){
			delivery.DeployRoleName: delivery.DeployPolicy, delivery.PreviewRoleName: delivery.PreviewPolicy,
		}[p.String("role")]
		if build == nil || roles[p.String("role")] == "" {
			t.Fatalf("role policy on %q, not a delivery role", p.String("role"))
		}
		assertDocument(t, p.String("policy"), build, scope)
	}
	if boundary.String("name") != delivery.BoundaryPolicyName {
		t.Errorf("boundary named %q, want %s", boundary.String("name"), delivery.BoundaryPolicyName)
	}
	assertDocument(t, boundary.String("policy"), delivery.BoundaryPolicy, scope)
	vars, _ := g.Outputs["repositoryVariables"].(map[string]any)
	if vars[delivery.DeployRoleVariable] != roles[delivery.DeployRoleName] || vars[delivery.PreviewRoleVariable] != roles[delivery.PreviewRoleName] {
		t.Errorf("repositoryVariables %v do not name the roles %v", vars, roles)
	}
}

func assertDocument(t *testing.T, got string, build func(delivery.Scope) (delivery.Document, error), scope delivery.Scope) {
	t.Helper()
	doc, err := build(scope)
	if err != nil {
		t.Fatal(err)
	}
	want, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("policy\n%s\nwant\n%s", got, want)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// The topics alarmTopicArns names reach the deploy policy's alarm actions, and only those.
func TestAlarmTopicsReachTheDeployPolicy(t *testing.T) {
	const topic = "arn:aws:sns:ap-northeast-2:123456789012:ops-alarms"
	for _, tc := range []struct {
		kv   []string
		want bool
	}{{nil, false}, {[]string{keyAlarmTopicArns, `["` + topic + `"]`}, true}} {
		for _, p := range run(t, tc.kv...).OfType(tRolePolicy) {
			if p.String("role") != delivery.DeployRoleName {
				continue
			}
			var doc delivery.Document
			if err := json.Unmarshal([]byte(p.String("policy")), &doc); err != nil {
				t.Fatal(err)
			}
			got := false
			for _, st := range doc.Statement {
				values, _ := st.Condition["ForAllValues:StringLike"]["cloudwatch:AlarmActions"].([]any)
				got = got || slices.Contains(values, any(topic))
			}
			if got != tc.want {
				t.Errorf("config %v: alarms may notify %s: %v, want %v", tc.kv, topic, got, tc.want)
			}
		}
	}
}
