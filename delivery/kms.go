package delivery

import (
	"slices"

	"nat-instance/compute"
)

// The program's KMS keys (the alarm topic's) have ids AWS chooses, so they cannot be named in a
// policy: they are told apart by the tag the program gives them (compute.KeyTag). A key may be
// created only with that tag and no other than its Name; every other call on a key needs the key
// to carry it already, so no key the program did not make (the state key included) can be read,
// re-tagged, re-policied or deleted. The key's own policy lets the account's IAM policies decide
// (compute's keyPolicy), which is what makes this policy count.

// stateKeyActions are the backend's calls on the state key (readState, writeState).
var stateKeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// programKeyActions are the KMS calls of the program's keys: every KMS action of the table
// except CreateKey, which has no key yet.
func programKeyActions() []string {
	var out []string
	for _, calls := range Resources {
		for _, a := range calls.All() {
			if serviceOf(a) == "kms" && a != "kms:CreateKey" && !slices.Contains(stateKeyActions, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// programKeyArns are where a program key's calls may act: any key of the scope's account and
// region, under the tag condition.
func (s Scope) programKeyArns() []string { return []string{s.arn("kms", s.Region, s.Account, "key/*")} }

// keyCondition returns the tag conditions of a KMS action of the program's keys, and whether
// the action is one.
func keyCondition(action string) (map[string]map[string]any, bool) {
	tag := "aws:ResourceTag/" + compute.KeyTag
	if action == "kms:CreateKey" {
		tag = "aws:RequestTag/" + compute.KeyTag
	} else if !slices.Contains(programKeyActions(), action) {
		return nil, false
	}
	cond := map[string]map[string]any{"StringEquals": {tag: compute.KeyTagValue}}
	if action == "kms:CreateKey" {
		cond["ForAllValues:StringEquals"] = map[string]any{"aws:TagKeys": []string{"Name", compute.KeyTag}}
	}
	return cond, true
}

// notTheStateKey denies the program keys' calls on the state key, whatever tags it is given.
func (s Scope) notTheStateKey() Statement {
	return Statement{Sid: "NotTheStateKey", Effect: "Deny", Action: programKeyActions(), Resource: []string{s.KeyArn}}
}
