package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	pschema "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const (
	natToken  = "nat-instance:compute:NatInstance"
	pairToken = "nat-instance:compute:NatPair"
)

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

func TestSchemaServesTheComponentsUnderTheProgramsTokens(t *testing.T) {
	spec := schema(t)
	if spec.Name != Name || spec.Version != Version {
		t.Errorf("package %s %s, want %s %s", spec.Name, spec.Version, Name, Version)
	}
	tokens := slices.Sorted(maps.Keys(spec.Resources))
	if want := []string{natToken, pairToken}; !slices.Equal(tokens, want) {
		t.Fatalf("resources %v, want %v", tokens, want)
	}
	for token, component := range spec.Resources {
		if !component.IsComponent || component.Description == "" {
			t.Errorf("%s: component %v, description %q; want a described component", token, component.IsComponent, component.Description)
		}
	}
	if len(spec.Types) != 0 {
		t.Errorf("schema declares types %v; the component should need none", spec.Types)
	}
}

// Every input and output is described and typed as the generated SDKs should see it: values
// that shape the resources are plain, ids are inputs that may come from other resources.
func TestSchemaInputsAndOutputs(t *testing.T) {
	spec := schema(t)
	for _, tc := range []struct {
		token           string
		inputs, outputs map[string]string
		required        []string
	}{
		{natToken, map[string]string{
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
			"alarmTopicArn":        "string",
			"alarmEmail":           "plain string",
			"alarmTopicKmsKeyId":   "plain string",
			"dashboard":            "plain boolean",
		}, map[string]string{
			"securityGroupId":    "string",
			"networkInterfaceId": "string",
			"instanceId":         "string",
			"ami":                "string",
			"privateIp":          "string",
			"publicIp":           "string",
			"alarmArns":          "array<plain string>",
			"dashboardUrl":       "string",
		}, []string{"privateRouteTableIds", "publicSubnetId", "vpcCidr", "vpcId"}},
		{pairToken, map[string]string{
			"vpcId":                "string",
			"vpcCidr":              "plain string",
			"publicSubnetId":       "string",
			"publicSubnetCidr":     "plain string",
			"privateRouteTableIds": "array<plain string>",
			"privateIp":            "plain string",
			"memberIps":            "array<plain string>",
			"instanceType":         "plain string",
			"ami":                  "string",
			"sshAllowedCidrs":      "array<plain string>",
			"keyName":              "plain string",
			"virtualRouterId":      "plain integer",
			"rollMember":           "plain string",
			"internetGatewayId":    "string",
			"publicRoutingIds":     "array<plain string>",
			"alarmTopicArn":        "string",
			"alarmEmail":           "plain string",
			"alarmTopicKmsKeyId":   "plain string",
			"dashboard":            "plain boolean",
		}, map[string]string{
			"securityGroupId":   "string",
			"instanceId":        "string",
			"privateIp":         "string",
			"publicIp":          "string",
			"memberInstanceIds": "array<plain string>",
			"memberPrivateIps":  "array<plain string>",
			"memberPublicIps":   "array<plain string>",
			"startedActive":     "string",
			"memberAmis":        "array<plain string>",
			"alarmArns":         "array<plain string>",
			"dashboardUrl":      "string",
		}, []string{"memberIps", "privateIp", "privateRouteTableIds", "publicSubnetCidr", "publicSubnetId", "vpcCidr", "vpcId"}},
	} {
		component := spec.Resources[tc.token]
		checkProperties(t, tc.token+" input", component.InputProperties, tc.inputs)
		checkProperties(t, tc.token+" output", component.Properties, tc.outputs)
		if len(component.Required) != len(tc.outputs) {
			t.Errorf("%s: required outputs %v, want all of them", tc.token, component.Required)
		}
		if required := slices.Sorted(slices.Values(component.RequiredInputs)); !slices.Equal(required, tc.required) {
			t.Errorf("%s: required inputs %v, want %v", tc.token, required, tc.required)
		}
		if got := component.InputProperties["instanceType"].Default; got != DefaultInstanceType {
			t.Errorf("%s: instanceType default %v, want %s", tc.token, got, DefaultInstanceType)
		}
	}
	for _, token := range []string{natToken, pairToken} {
		if d := spec.Resources[token].InputProperties["dashboard"].Default; d != nil && d != false {
			t.Errorf("%s: dashboard defaults to %v; a component makes one only when asked", token, d)
		}
	}
	if got := spec.Resources[pairToken].InputProperties["virtualRouterId"].Default; got != float64(DefaultVirtualRouterID) {
		t.Errorf("virtualRouterId default %v (%T), want %d", got, got, DefaultVirtualRouterID)
	}
}

// checkProperties checks that every property is described and has the type wanted.
func checkProperties(t *testing.T, what string, properties map[string]pschema.PropertySpec, want map[string]string) {
	t.Helper()
	for name, property := range properties {
		if property.Description == "" {
			t.Errorf("%s %s has no description", what, name)
		}
		if got := propertyType(property); got != want[name] {
			t.Errorf("%s %s is %q, want %q", what, name, got, want[name])
		}
	}
	if len(properties) != len(want) {
		t.Errorf("%d %ss, want %d: %v", len(properties), what, len(want), slices.Sorted(maps.Keys(properties)))
	}
}
