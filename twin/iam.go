package twin

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"nat-instance/mockgraph"
)

// IAMPolicy is the identity-based policy of an instance's role: every statement of its inline
// policies, as the program registered them. Managed policies (AmazonSSMManagedInstanceCore) are
// not read: they grant no EC2 or CloudWatch action, and what is not read grants nothing.
type IAMPolicy struct {
	Statements []IAMStatement
}

// IAMStatement is one statement: Effect, Action and Resource (strings or lists in the JSON),
// Condition (operator -> key -> values).
type IAMStatement struct {
	Effect    string
	Actions   []string
	Resources []string
	Condition map[string]map[string][]string
}

// iamRequest is what IAM evaluates for one API call: the action, the ARNs of the resources the
// call acts on ("*" for actions without resource types) and the request's condition keys.
type iamRequest struct {
	action    string
	resources []string
	context   map[string]string
}

// allows evaluates a request as IAM does for identity-based policies (IAM User Guide, "Policy
// evaluation logic"): an explicit Deny wins, otherwise every resource of the request needs an
// Allow whose action, resource and conditions match; nothing else is allowed.
func (p *IAMPolicy) allows(r iamRequest) bool {
	if p == nil {
		return false
	}
	for _, resource := range r.resources {
		allowed := false
		for _, s := range p.Statements {
			if !s.matches(r, resource) {
				continue
			}
			if s.Effect == "Deny" {
				return false
			}
			allowed = true
		}
		if !allowed {
			return false
		}
	}
	return len(r.resources) > 0
}

func (s IAMStatement) matches(r iamRequest, resource string) bool {
	return slices.ContainsFunc(s.Actions, func(a string) bool { return wildcard(strings.ToLower(a), strings.ToLower(r.action)) }) &&
		slices.ContainsFunc(s.Resources, func(pattern string) bool { return wildcard(pattern, resource) }) &&
		s.conditionsHold(r.context)
}

// conditionsHold evaluates the condition operators the twin knows; any other operator, or a key
// the request does not carry, makes the statement not apply (stricter than IAM, never laxer
// for an Allow).
func (s IAMStatement) conditionsHold(context map[string]string) bool {
	for operator, keys := range s.Condition {
		for key, wanted := range keys {
			got, present := context[strings.ToLower(key)]
			if !present {
				return false
			}
			var ok bool
			switch operator {
			case "StringEquals", "ArnEquals":
				ok = slices.Contains(wanted, got)
			case "StringLike", "ArnLike":
				ok = slices.ContainsFunc(wanted, func(w string) bool { return wildcard(w, got) })
			case "StringNotEquals":
				ok = !slices.Contains(wanted, got)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// wildcard matches IAM's patterns: * any run of characters, ? one character, nothing else special.
func wildcard(pattern, value string) bool {
	escaped := strings.NewReplacer(`[`, `\[`, `]`, `\]`, `\`, `\\`).Replace(pattern)
	// path.Match's * stops at '/', IAM's does not: match segment by segment is wrong, so turn '/'
	// into a character path.Match treats as any other.
	ok, err := path.Match(strings.ReplaceAll(escaped, "/", "\x00"), strings.ReplaceAll(value, "/", "\x00"))
	return err == nil && ok
}

// parseIAMPolicy reads a policy document. Elements the twin does not evaluate (NotAction,
// NotResource, Principal) are refused, so that a policy is never judged by half.
func parseIAMPolicy(document string) ([]IAMStatement, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &raw); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
		raw = []map[string]json.RawMessage{one}
	}
	var out []IAMStatement
	for _, r := range raw {
		var s IAMStatement
		for key, value := range r {
			var err error
			switch key {
			case "Sid":
			case "Effect":
				err = json.Unmarshal(value, &s.Effect)
			case "Action":
				s.Actions, err = stringOrList(value)
			case "Resource":
				s.Resources, err = stringOrList(value)
			case "Condition":
				s.Condition, err = conditionOf(value)
			default:
				err = fmt.Errorf("element %s is not evaluated by the twin", key)
			}
			if err != nil {
				return nil, fmt.Errorf("policy statement %s: %w", key, err)
			}
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("policy statement with Effect %q", s.Effect)
		}
		out = append(out, s)
	}
	return out, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one string
	err := json.Unmarshal(raw, &one)
	return []string{one}, err
}

// conditionOf reads a Condition block, condition keys in lower case (IAM compares them so).
func conditionOf(raw json.RawMessage) (map[string]map[string][]string, error) {
	var blocks map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, err
	}
	out := map[string]map[string][]string{}
	for operator, keys := range blocks {
		out[operator] = map[string][]string{}
		for key, values := range keys {
			list, err := stringOrList(values)
			if err != nil {
				return nil, err
			}
			out[operator][strings.ToLower(key)] = list
		}
	}
	return out, nil
}

// rolePolicyOf reads the inline policies of the role in an instance's instance profile, from the
// recorded graph: profile by name, its role by name, every RolePolicy on that role. Nil when the
// instance has no profile.
func rolePolicyOf(g *mockgraph.Graph, inst mockgraph.Resource) (*IAMPolicy, error) {
	profileName := inst.String("iamInstanceProfile")
	if profileName == "" {
		return nil, nil
	}
	var role string
	for _, p := range g.OfType("aws:iam/instanceProfile:InstanceProfile") {
		if fmt.Sprint(p.State["name"]) == profileName {
			role = p.String("role")
		}
	}
	if role == "" {
		return nil, fmt.Errorf("twin: instance %s: instance profile %q or its role was not registered", inst.Name, profileName)
	}
	policy := &IAMPolicy{}
	for _, rp := range g.OfType("aws:iam/rolePolicy:RolePolicy") {
		if rp.String("role") != role {
			continue
		}
		statements, err := parseIAMPolicy(rp.String("policy"))
		if err != nil {
			return nil, fmt.Errorf("twin: role policy %s: %w", rp.Name, err)
		}
		policy.Statements = append(policy.Statements, statements...)
	}
	return policy, nil
}
