package delivery

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Document is an IAM policy document.
type Document struct {
	Version   string
	Statement []Statement
}

// Statement is one statement of a Document. Condition maps an operator (StringEquals) to its
// keys and values.
type Statement struct {
	Sid       string `json:",omitempty"`
	Effect    string
	Principal map[string]any `json:",omitempty"` // trust and resource policies only
	Action    []string
	Resource  []string                  `json:",omitempty"` // none in a trust policy
	Condition map[string]map[string]any `json:",omitempty"`
}

// JSON is the document as IAM takes it.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// scoped is one action with the resources and conditions it is allowed on.
type scoped struct {
	action    string
	resources []string
	condition map[string]map[string]any
}

// allowStatements groups actions of one service that share resources and conditions into
// statements, in a stable order, named after their service and position (Ec2Any, Ec2Scoped2, ...).
func allowStatements(actions []scoped) []Statement {
	groups := map[string]*Statement{}
	var keys []string
	for _, a := range actions {
		cond, _ := json.Marshal(a.condition)
		key := serviceOf(a.action) + "|" + strings.Join(a.resources, ",") + "|" + string(cond)
		st, ok := groups[key]
		if !ok {
			st = &Statement{Effect: "Allow", Resource: a.resources, Condition: a.condition}
			groups[key] = st
			keys = append(keys, key)
		}
		if !slices.Contains(st.Action, a.action) {
			st.Action = append(st.Action, a.action)
		}
	}
	var out []Statement
	for _, key := range keys {
		st := *groups[key]
		slices.Sort(st.Action)
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Statement) int { return strings.Compare(a.Action[0], b.Action[0]) })
	counts := map[string]int{}
	for i := range out {
		service, _, _ := strings.Cut(out[i].Action[0], ":")
		kind := "Scoped"
		if slices.Equal(out[i].Resource, []string{"*"}) {
			kind = "Any"
		}
		name := strings.ToUpper(service[:1]) + service[1:] + kind
		counts[name]++
		if counts[name] > 1 {
			name += fmt.Sprint(counts[name])
		}
		out[i].Sid = name
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
