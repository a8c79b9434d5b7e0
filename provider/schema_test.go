package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const natToken = "nat-instance:compute:NatInstance"

// schema asks the provider for its schema, as `pulumi package add` does, and checks that it binds.
func schema(t *testing.T) pschema.PackageSpec {
	t.Helper()
	resp, err := server(t, nil).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec pschema.PackageSpec
	if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
		t.Fatal(err)
	}
	if _, diags, err := pschema.BindSpec(spec, noPackages{}, pschema.ValidationOptions{}); err != nil || diags.HasErrors() {
		t.Fatalf("schema does not bind: %v %v", err, diags)
	}
	return spec
}

// noPackages loads no other package: the schema must refer to none (no AWS types leak into it).
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %s", pkg)
}

func (noPackages) LoadPackageV2(_ context.Context, d *pschema.PackageDescriptor) (*pschema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %s", d.Name)
}

// propertyType is what an SDK makes of a property: "string", "plain string", "array<string>".
func propertyType(spec pschema.PropertySpec) string {
	kind := spec.Type
	if spec.Ref != "" {
		kind = "ref " + spec.Ref // a Go-only or object type: none expected
	}
	if spec.Items != nil {
		kind += "<" + propertyType(pschema.PropertySpec{TypeSpec: *spec.Items}) + ">"
	}
	if spec.Plain {
		kind = "plain " + kind
	}
	return kind
}

func TestSchemaServesTheNatUnderTheProgramsToken(t *testing.T) {
	spec := schema(t)
	if spec.Name != Name || spec.Version != Version {
		t.Errorf("package %s %s, want %s %s", spec.Name, spec.Version, Name, Version)
	}
	var tokens []string
	for token := range spec.Resources {
		tokens = append(tokens, token)
	}
	if !slices.Equal(tokens, []string{natToken}) {
		t.Fatalf("resources %v, want only %s", tokens, natToken)
	}
	if nat := spec.Resources[natToken]; !nat.IsComponent || nat.Description == "" {
		t.Errorf("%s: component %v, description %q; want a described component", natToken, nat.IsComponent, nat.Description)
	}
	if len(spec.Types) != 0 {
		t.Errorf("schema declares types %v; the component should need none", spec.Types)
	}
}

// Every input and output is described and typed as the generated SDKs should see it: values
// that shape the resources are plain, ids are inputs that may come from other resources.
func TestSchemaInputsAndOutputs(t *testing.T) {
	nat := schema(t).Resources[natToken]
	for _, tc := range []struct {
		what       string
		properties map[string]pschema.PropertySpec
		required   []string
		want       map[string]string
	}{
		{"input", nat.InputProperties, nat.RequiredInputs, map[string]string{
			"vpcId":          "string",
			"vpcCidr":        "plain string",
			"publicSubnetId": "string",
			// One input for the whole list, so that a list output (an awsx Vpc's) fits.
			"privateRouteTableIds": "array<plain string>",
			"privateIp":            "plain string",
			"instanceType":         "plain string",
			"ami":                  "string",
			"sshAllowedCidrs":      "array<plain string>",
			"keyName":              "plain string",
			"instanceProfileName":  "string",
			"internetGatewayId":    "string",
			"publicRoutingIds":     "array<plain string>",
		}},
		{"output", nat.Properties, nat.Required, map[string]string{
			"securityGroupId":    "string",
			"networkInterfaceId": "string",
			"instanceId":         "string",
			"ami":                "string",
			"privateIp":          "string",
			"publicIp":           "string",
		}},
	} {
		for name, property := range tc.properties {
			if property.Description == "" {
				t.Errorf("%s %s has no description", tc.what, name)
			}
			if got, want := propertyType(property), tc.want[name]; got != want {
				t.Errorf("%s %s is %q, want %q", tc.what, name, got, want)
			}
		}
		if len(tc.properties) != len(tc.want) {
			t.Errorf("%d %ss, want %d: %v", len(tc.properties), tc.what, len(tc.want), tc.properties)
		}
		if tc.what == "output" && len(tc.required) != len(tc.want) {
			t.Errorf("required outputs %v, want all of them", tc.required)
		}
	}
	required := slices.Sorted(slices.Values(nat.RequiredInputs))
	if want := []string{"privateRouteTableIds", "publicSubnetId", "vpcCidr", "vpcId"}; !slices.Equal(required, want) {
		t.Errorf("required inputs %v, want %v", required, want)
	}
	if got := nat.InputProperties["instanceType"].Default; got != DefaultInstanceType {
		t.Errorf("instanceType default %v, want %s", got, DefaultInstanceType)
	}
}
