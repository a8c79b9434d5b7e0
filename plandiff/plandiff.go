// Package plandiff tells, resource by resource, what `pulumi preview` would do to a stack
// deployed from one recorded graph when the program now records another: nothing, an update in
// place, a replacement, a creation or a deletion. It follows the engine's rules that matter for
// this program: a resource is matched by URN or by one of its aliases; properties named in
// ignoreChanges keep their recorded value; a change of a property that the AWS provider marks
// ForceNew replaces the resource; an input that refers to a replaced resource (its id, ARN,
// name) is unknown until then, so it counts as changed.
package plandiff

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"nat-instance/mockgraph"
)

// Action is what a preview does to one resource.
type Action string

// The actions, in the words `pulumi preview` uses.
const (
	Same    Action = "same"
	Update  Action = "update"
	Replace Action = "replace"
	Create  Action = "create"
	Delete  Action = "delete"
)

// Step is the plan for one resource.
type Step struct {
	Action Action
	Type   string
	Name   string // the new name; the old one for a deletion
	URN    string // the old URN for a deletion, else the new one
	// Changed are the changed inputs; for a replacement, those that force it.
	Changed []string
	// DeleteFirst: the replacement deletes the old resource before creating the new one.
	DeleteFirst bool
	// Outage: the instance does not run for a while during this step (replaced, or stopped and
	// started for a new instance type).
	Outage bool
	old    *mockgraph.Resource
	new    *mockgraph.Resource
}

func (s Step) String() string {
	out := fmt.Sprintf("%-7s %s %s", s.Action, shortType(s.Type), s.Name)
	if len(s.Changed) > 0 {
		out += " [" + strings.Join(s.Changed, ", ") + "]"
	}
	if s.DeleteFirst {
		out += " delete-before-replace"
	}
	if s.Outage {
		out += " OUTAGE"
	}
	return out
}

func shortType(typ string) string { return typ[strings.LastIndex(typ, ":")+1:] }

// Plan is the steps of a preview, custom resources only (components do nothing in the cloud).
type Plan struct {
	Steps []Step
}

// Changes returns the steps that do something.
func (p Plan) Changes() []Step {
	return slices.DeleteFunc(slices.Clone(p.Steps), func(s Step) bool { return s.Action == Same })
}

// Of returns the steps of an action on resources of a type ("" for every type).
func (p Plan) Of(action Action, typ string) []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Action == action && (typ == "" || s.Type == typ) {
			out = append(out, s)
		}
	}
	return out
}

// Print writes the steps that change something, then a count per action.
func (p Plan) Print(w io.Writer) {
	counts := map[Action]int{}
	for _, s := range p.Steps {
		counts[s.Action]++
		if s.Action != Same {
			fmt.Fprintln(w, s)
		}
	}
	fmt.Fprintf(w, "%d same, %d update, %d replace, %d create, %d delete\n",
		counts[Same], counts[Update], counts[Replace], counts[Create], counts[Delete])
}

// Diff plans the move from the stack recorded in before to the program recorded in after.
func Diff(before, after *mockgraph.Graph) Plan {
	oldByURN := map[string]*mockgraph.Resource{}
	for i := range before.Resources {
		if r := &before.Resources[i]; r.Custom {
			oldByURN[r.URN] = r
		}
	}
	var steps []Step
	matched := map[string]bool{}
	// sameAs maps the ids of resources matched through an alias to their recorded ids: the
	// cloud resource, and so its id, stays.
	sameAs := map[string]string{}
	for i := range after.Resources {
		r := &after.Resources[i]
		if !r.Custom {
			continue
		}
		old := oldByURN[r.URN]
		for _, alias := range r.Aliases {
			if old == nil && oldByURN[alias] != nil && !matched[alias] {
				old = oldByURN[alias]
			}
		}
		step := Step{Action: Create, Type: r.Type, Name: r.Name, URN: r.URN, new: r, old: old}
		if old != nil {
			matched[old.URN] = true
			sameAs[r.ID] = old.ID
			step.Action = Same
		}
		steps = append(steps, step)
	}
	for _, r := range before.Resources {
		if r.Custom && !matched[r.URN] {
			steps = append(steps, Step{Action: Delete, Type: r.Type, Name: r.Name, URN: r.URN, old: &r})
		}
	}

	// Replacements make their dependents' references unknown, which may replace those in turn:
	// repeat until nothing more changes.
	unknown := map[string]bool{}
	for {
		grew := false
		for i := range steps {
			s := &steps[i]
			if s.Action != Same && s.Action != Update {
				continue
			}
			s.Changed = changedInputs(s.old, s.new, sameAs, unknown)
			s.Action = Same
			if len(s.Changed) == 0 {
				continue
			}
			s.Action = Update
			if forcing := replacing(s.new, s.old, s.Changed); len(forcing) > 0 {
				s.Action, s.Changed, s.DeleteFirst = Replace, forcing, s.new.DeleteBeforeReplace
				for _, token := range references(s.old) {
					grew = grew || !unknown[token]
					unknown[token] = true
				}
			}
		}
		if !grew {
			break
		}
	}
	for i := range steps {
		s := &steps[i]
		s.Outage = s.Type == instanceType && (s.Action == Replace || s.Action == Delete ||
			(s.Action == Update && slices.Contains(s.Changed, "instanceType")))
	}
	return Plan{Steps: steps}
}

// changedInputs lists the inputs that differ, in name order, leaving out ignored ones.
func changedInputs(old, new *mockgraph.Resource, sameAs map[string]string, unknown map[string]bool) []string {
	var keys []string
	for k := range old.Inputs {
		keys = append(keys, k)
	}
	for k := range new.Inputs {
		if _, ok := old.Inputs[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var changed []string
	for _, k := range keys {
		if slices.Contains(new.IgnoreChanges, k) {
			continue
		}
		value := rename(new.Inputs[k], sameAs)
		if !reflect.DeepEqual(value, old.Inputs[k]) || mentions(value, unknown) {
			changed = append(changed, k)
		}
	}
	return changed
}

// rename replaces the ids in v that sameAs maps.
func rename(v any, sameAs map[string]string) any {
	switch v := v.(type) {
	case string:
		if old, ok := sameAs[v]; ok {
			return old
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = rename(item, sameAs)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = rename(item, sameAs)
		}
		return out
	}
	return v
}

// mentions tells whether v holds one of the tokens.
func mentions(v any, tokens map[string]bool) bool {
	switch v := v.(type) {
	case string:
		return tokens[v]
	case []any:
		return slices.ContainsFunc(v, func(item any) bool { return mentions(item, tokens) })
	case map[string]any:
		for _, item := range v {
			if mentions(item, tokens) {
				return true
			}
		}
	}
	return false
}

// references are the values by which other resources refer to r: its id and what the cloud
// computed for it that names it (ARN, ids, a generated name).
func references(r *mockgraph.Resource) []string {
	out := []string{r.ID}
	for k, v := range r.State {
		s, ok := v.(string)
		if _, input := r.Inputs[k]; ok && !input && (k == "arn" || k == "name" || strings.HasSuffix(k, "Id") || strings.HasSuffix(k, "Arn")) {
			out = append(out, s)
		}
	}
	return out
}
