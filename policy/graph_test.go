package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"nat-instance/lab"
	"nat-instance/mockgraph"
)

// violationsIn runs the pack on a recorded graph as the engine does: each resource policy on
// each resource's inputs, each stack policy once on every resource's outputs (the recorded state
// and its id, as the AWS provider outputs it) with the resources its inputs came from.
func violationsIn(t *testing.T, g *mockgraph.Graph) []string {
	t.Helper()
	pack, err := Pack()
	if err != nil {
		t.Fatal(err)
	}
	recorder := &violationRecorder{}
	var stack []policyx.AnalyzerResource
	for _, r := range g.Resources {
		outputs := resource.NewPropertyMapFromMap(r.State)
		outputs["id"] = resource.NewStringProperty(r.ID)
		stack = append(stack, policyx.AnalyzerResource{Type: r.Type, Name: r.Name, URN: r.URN,
			Properties: resource.FromResourcePropertyMap(outputs), PropertyDependencies: r.PropertyDependencies})
		for _, p := range pack.Policies() {
			if p, ok := p.(policyx.ResourceValidationPolicy); ok {
				err := p.Validate(context.Background(), policyx.ResourceValidationArgs{
					Manager: recorder,
					Resource: policyx.AnalyzerResource{Type: r.Type, Name: r.Name, URN: r.URN,
						Properties: resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(r.Inputs))},
				})
				if err != nil {
					t.Fatalf("%s on %s: %v", p.Name(), r.URN, err)
				}
			}
		}
	}
	for _, p := range pack.Policies() {
		if p, ok := p.(policyx.StackValidationPolicy); ok {
			if err := p.Validate(context.Background(), policyx.StackValidationArgs{Manager: recorder, Resources: stack}); err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
		}
	}
	return recorder.messages
}

// The program passes its own pack: every stack file of the repository and every feature config
// (NAT pairs, whose standby members have source/dest check off and Elastic IPs of their own),
// as recorded under mocks.
func TestEveryStackFilePassesThePack(t *testing.T) {
	stacks, err := mockgraph.Stacks("..")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks %v: %v", stacks, err)
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			g, err := mockgraph.RunStackFile(lab.Program, "..", stack)
			if err != nil {
				t.Fatal(err)
			}
			if got := violationsIn(t, g); len(got) > 0 {
				t.Errorf("stack %s violates the pack:\n%v", stack, got)
			}
		})
	}
	for _, name := range mockgraph.FeatureNames() {
		t.Run(name, func(t *testing.T) {
			g, err := mockgraph.RunFeature(lab.Program, name)
			if err != nil {
				t.Fatal(err)
			}
			if got := violationsIn(t, g); len(got) > 0 {
				t.Errorf("%s violates the pack:\n%v", name, got)
			}
		})
	}
}

// The same recording with the lab's original mistakes is caught: SSH from 10.40.0.0/0 on the
// private group and source/dest check off on a private instance.
func TestTheLabsMistakesAreCaught(t *testing.T) {
	g, err := mockgraph.RunStackFile(lab.Program, "..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	var mutated int
	for i, r := range g.Resources {
		switch {
		case r.Type == typeSecurityGroup && len(r.Objects("ingress")) > 0 && mutated&1 == 0:
			ingress := r.Inputs["ingress"].([]any)
			ssh := map[string]any{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": []any{"10.40.0.0/0"}}
			g.Resources[i].Inputs["ingress"] = append(ingress, ssh)
			mutated |= 1
		case r.Type == typeInstance && strings.HasPrefix(r.Name, "private-") && mutated&2 == 0:
			g.Resources[i].Inputs["sourceDestCheck"] = false
			g.Resources[i].State["sourceDestCheck"] = false
			mutated |= 2
		}
	}
	if mutated != 3 {
		t.Fatalf("dev graph lacks a security group with ingress or a private instance")
	}
	got := violationsIn(t, g)
	// The SSH rule has a /0 and no description; the instance has no NAT interface.
	if len(got) != 3 {
		t.Errorf("want 3 violations, got %d:\n%v", len(got), got)
	}
}

// The CLI's own loader accepts PulumiPolicy.yaml, and it states the pack's version.
func TestPolicyProjectFile(t *testing.T) {
	project, err := workspace.LoadPolicyPack("PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pack, err := Pack()
	if err != nil {
		t.Fatal(err)
	}
	if project.Runtime.Name() != "go" || project.Version != pack.Version().String() {
		t.Errorf("PulumiPolicy.yaml: runtime %q version %q; want go and the pack's %s", project.Runtime.Name(), project.Version, pack.Version())
	}
}
