package mockgraph

import "fmt"

// OfType returns the resources of a type token, e.g. "aws:ec2/instance:Instance", by URN order.
func (g *Graph) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Named returns the resource of a type with a logical name.
func (g *Graph) Named(typ, name string) (Resource, error) {
	for _, r := range g.Resources {
		if r.Type == typ && r.Name == name {
			return r, nil
		}
	}
	return Resource{}, fmt.Errorf("no %s named %q was registered", typ, name)
}

// ByID returns the resource whose mock id is id (ids are what inputs refer to).
func (g *Graph) ByID(id string) (Resource, bool) {
	for _, r := range g.Resources {
		if r.ID == id && r.Custom {
			return r, true
		}
	}
	return Resource{}, false
}

// ByURN returns the resource with a URN.
func (g *Graph) ByURN(urn string) (Resource, bool) {
	for _, r := range g.Resources {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}

// String reads an input as a string ("" when absent).
func (r Resource) String(key string) string {
	s, _ := r.Inputs[key].(string)
	return s
}

// Strings reads an input list of strings.
func (r Resource) Strings(key string) []string {
	return AsStrings(r.Inputs[key])
}

// Objects reads an input list of objects, such as a security group's ingress rules.
func (r Resource) Objects(key string) []map[string]any {
	items, _ := r.Inputs[key].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, item := range items {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Object reads an input object, such as an instance's metadataOptions.
func (r Resource) Object(key string) map[string]any {
	m, _ := r.Inputs[key].(map[string]any)
	return m
}

// AsStrings converts a recorded list (inputs hold []any, resolved outputs []string) to strings,
// skipping anything else.
func AsStrings(v any) []string {
	if strings, ok := v.([]string); ok {
		return strings
	}
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
