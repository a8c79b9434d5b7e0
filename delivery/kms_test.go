package delivery

import (
	"encoding/json"
	"slices"
	"testing"

	"nat-instance/compute"
)

// keyTagCondition is the condition every call on a program key must carry.
var keyTagCondition = map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + compute.KeyTag: compute.KeyTagValue}}

// CreateKey is allowed only for a key tagged as the program's, with no tag but its Name; every
// other call of the program's keys only on keys of the account and region that carry the tag.
func TestProgramKeysOnlyByTheirTag(t *testing.T) {
	doc := deployPolicy(t)
	keyArns := []string{"arn:aws:kms:ap-northeast-2:123456789012:key/*"}
	found := map[string]bool{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, a := range st.Action {
			if serviceOf(a) != "kms" || slices.Contains(stateKeyActions, a) {
				continue
			}
			found[a] = true
			if a == "kms:CreateKey" {
				want := map[string]map[string]any{
					"StringEquals":              {"aws:RequestTag/" + compute.KeyTag: compute.KeyTagValue},
					"ForAllValues:StringEquals": {"aws:TagKeys": []string{"Name", compute.KeyTag}},
				}
				if !equalJSON(t, st.Condition, want) {
					t.Errorf("%s: kms:CreateKey under %v, want %v", st.Sid, st.Condition, want)
				}
				continue
			}
			if !slices.Equal(st.Resource, keyArns) || !equalJSON(t, st.Condition, keyTagCondition) {
				t.Errorf("%s: %s on %v under %v, want on %v under %v", st.Sid, a, st.Resource, st.Condition, keyArns, keyTagCondition)
			}
		}
	}
	for _, a := range append(programKeyActions(), "kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy") {
		if !found[a] {
			t.Errorf("the table calls %s but the deploy policy does not allow it", a)
		}
	}
}

// The state key serves the backend only: the statements that may act on it without the
// program's tag allow only the backend's calls, and a Deny names every call of the program's
// keys on it, so that tagging it (which the tag condition already refuses) would not help.
func TestStateKeyOnlyForTheBackend(t *testing.T) {
	doc := deployPolicy(t)
	var denied []string
	for _, st := range doc.Statement {
		onStateKey := matchesAny(st.Resource, testScope.KeyArn)
		switch {
		case st.Effect == "Deny" && onStateKey:
			denied = append(denied, st.Action...)
		case st.Effect == "Allow" && onStateKey && !equalJSON(t, st.Condition, keyTagCondition):
			for _, a := range st.Action {
				// CreateKey acts on no key: it is allowed on "*".
				if serviceOf(a) == "kms" && a != "kms:CreateKey" && !slices.Contains(stateKeyActions, a) {
					t.Errorf("%s allows %s on the state key without the program's key tag", st.Sid, a)
				}
			}
		}
	}
	for _, a := range programKeyActions() {
		if !slices.Contains(denied, a) {
			t.Errorf("no Deny statement names %s on the state key %s", a, testScope.KeyArn)
		}
	}
}

// Every key the program makes can be created and managed under the policy: it carries the tag
// and no other but Name, and its key policy lets the account's IAM policies decide (KMS's
// default statement), so that the deploy role can update it and `pulumi destroy` can schedule
// its deletion.
func TestProgramKeysAreTaggedAndDelegated(t *testing.T) {
	keys := 0
	for _, r := range programGraphs(t) {
		for _, key := range r.graph.OfType("aws:kms/key:Key") {
			keys++
			tags, _ := key.Inputs["tags"].(map[string]any)
			if tags[compute.KeyTag] != compute.KeyTagValue {
				t.Errorf("%s: key %s tags %v lack %s = %s", r.name, key.Name, tags, compute.KeyTag, compute.KeyTagValue)
			}
			for k := range tags {
				if k != "Name" && k != compute.KeyTag {
					t.Errorf("%s: key %s has tag %s, which CreateKey's aws:TagKeys condition refuses", r.name, key.Name, k)
				}
			}
			if !delegatesToIAM(t, key.String("policy"), "arn:aws:iam::123456789012:root") {
				t.Errorf("%s: key %s policy does not give the account kms:* (IAM policies would not count): %s", r.name, key.Name, key.String("policy"))
			}
		}
	}
	if keys == 0 {
		t.Fatal("no graph makes a key: a feature config with alarmEmail and no alarmTopicKmsKeyId is missing")
	}
}

// delegatesToIAM reports whether a key policy allows the account root every KMS action on the
// key, unconditionally.
func delegatesToIAM(t *testing.T, policy, root string) bool {
	t.Helper()
	var doc struct {
		Statement []struct {
			Effect, Resource  string
			Action, Condition any
			Principal         map[string]any
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("key policy %s: %v", policy, err)
	}
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && st.Principal["AWS"] == root && st.Action == "kms:*" && st.Resource == "*" && st.Condition == nil {
			return true
		}
	}
	return false
}

// equalJSON compares two values as JSON documents.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
