package main

import (
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// stackGraph is the stack as a stack policy sees it: every resource with its outputs, and for
// each input the resources it was taken from (the engine's property dependencies, known in a
// preview too, when ids are not yet).
type stackGraph struct {
	resources []policyx.AnalyzerResource
	byURN     map[string]policyx.AnalyzerResource
	byID      map[string]string // a resource's id output -> its URN
}

func newStackGraph(resources []policyx.AnalyzerResource) *stackGraph {
	g := &stackGraph{resources: resources, byURN: map[string]policyx.AnalyzerResource{}, byID: map[string]string{}}
	for _, r := range resources {
		g.byURN[r.URN] = r
		if id := r.Properties.Get("id"); id.IsString() && id.AsString() != "" {
			g.byID[id.AsString()] = r.URN
		}
	}
	return g
}

// ofType returns the resources of a type.
func (g *stackGraph) ofType(typ string) []policyx.AnalyzerResource {
	var out []policyx.AnalyzerResource
	for _, r := range g.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// refs returns the resources of a type that an input of r names: by property dependency (the
// input was another resource's output), or by id (a literal of a resource of the stack). An id of
// something outside the stack names nothing here.
func (g *stackGraph) refs(r policyx.AnalyzerResource, input, typ string) []string {
	var out []string
	for _, urn := range r.PropertyDependencies[input] {
		if g.byURN[urn].Type == typ && !slices.Contains(out, urn) {
			out = append(out, urn)
		}
	}
	for _, v := range append(values(r.Properties.Get(input)), r.Properties.Get(input)) {
		if urn, ok := g.byID[str(v)]; ok && g.byURN[urn].Type == typ && !slices.Contains(out, urn) {
			out = append(out, urn)
		}
	}
	return out
}

// str reads a string value, "" for anything else.
func str(v property.Value) string {
	if v.IsString() {
		return v.AsString()
	}
	return ""
}
