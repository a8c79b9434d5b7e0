package main

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// metadataOptions returns the metadata options an instance or launch template declares, and
// false when the resource is neither or an instance takes them from its launch template (which
// is judged itself).
func metadataOptions(r policyx.AnalyzerResource) (property.Value, bool) {
	if r.Type != typeInstance && r.Type != typeLaunchTemplate {
		return property.Value{}, false
	}
	options := r.Properties.Get("metadataOptions")
	if r.Type == typeInstance && options.IsNull() && !r.Properties.Get("launchTemplate").IsNull() {
		return property.Value{}, false
	}
	return options, true
}

func imdsv2Required(_ context.Context, args policyx.ResourceValidationArgs) error {
	options, ok := metadataOptions(args.Resource)
	if !ok {
		return nil
	}
	tokens := field(options, "httpTokens")
	if !tokens.IsComputed() && !(tokens.IsString() && tokens.AsString() == "required") {
		args.Manager.ReportViolation(fmt.Sprintf("%s: metadataOptions.httpTokens is %s, not \"required\"", args.Resource.Name, show(tokens)), "")
	}
	return nil
}

// imdsHopLimit wants the hop limit set to 1. Not set, the image decides: Amazon Linux 2023
// images set 2 (AL2023 User Guide, "IMDSv2").
func imdsHopLimit(_ context.Context, args policyx.ResourceValidationArgs) error {
	options, ok := metadataOptions(args.Resource)
	if !ok {
		return nil
	}
	limit := field(options, "httpPutResponseHopLimit")
	if !limit.IsComputed() && !(limit.IsNumber() && limit.AsNumber() == 1) {
		args.Manager.ReportViolation(fmt.Sprintf("%s: metadataOptions.httpPutResponseHopLimit is %s, not 1", args.Resource.Name, show(limit)), "")
	}
	return nil
}

func encryptedRootVolume(_ context.Context, args policyx.ResourceValidationArgs) error {
	r := args.Resource
	switch {
	case r.Type == typeLaunchTemplate:
		encryptedTemplateVolumes(args)
		return nil
	case r.Type != typeInstance:
		return nil
	}
	root := r.Properties.Get("rootBlockDevice")
	if root.IsNull() && !r.Properties.Get("launchTemplate").IsNull() {
		return nil // the instance's launch template maps its volumes, and is judged itself
	}
	encrypted := field(root, "encrypted")
	if !encrypted.IsComputed() && !(encrypted.IsBool() && encrypted.AsBool()) {
		args.Manager.ReportViolation(fmt.Sprintf("%s: rootBlockDevice.encrypted is %s, not true", r.Name, show(encrypted)), "")
	}
	return nil
}

// encryptedTemplateVolumes wants every EBS volume a launch template maps encrypted (which one is
// the root volume depends on the image), and at least one mapping: without any, the image's own
// snapshot decides.
func encryptedTemplateVolumes(args policyx.ResourceValidationArgs) {
	r := args.Resource
	mappings := r.Properties.Get("blockDeviceMappings")
	if mappings.IsComputed() {
		return
	}
	if !mappings.IsArray() || mappings.AsArray().Len() == 0 {
		args.Manager.ReportViolation(fmt.Sprintf("%s: blockDeviceMappings is not set: the image decides whether the root volume is encrypted", r.Name), "")
		return
	}
	for i, mapping := range mappings.AsArray().All {
		ebs := field(mapping, "ebs")
		if ebs.IsNull() {
			continue // an instance-store or suppressed device
		}
		encrypted := field(ebs, "encrypted")
		// The launch template's schema types it as a string ("true").
		if !encrypted.IsComputed() && !isTrue(encrypted) {
			args.Manager.ReportViolation(fmt.Sprintf("%s: blockDeviceMappings[%d].ebs.encrypted is %s, not true", r.Name, i, show(encrypted)), "")
		}
	}
}

// noPublicAddressOnLaunch refuses what gives an instance a public address at launch. A value not
// known before `pulumi up` is judged then.
func noPublicAddressOnLaunch(_ context.Context, args policyx.ResourceValidationArgs) error {
	r := args.Resource
	report := func(where string, v property.Value) {
		if isTrue(v) {
			args.Manager.ReportViolation(fmt.Sprintf("%s: %s is true: public addresses belong on NAT interfaces, as Elastic IPs", r.Name, where), "")
		}
	}
	switch r.Type {
	case typeSubnet:
		report("mapPublicIpOnLaunch", r.Properties.Get("mapPublicIpOnLaunch"))
	case typeInstance:
		report("associatePublicIpAddress", r.Properties.Get("associatePublicIpAddress"))
	case typeLaunchTemplate:
		for i, nic := range values(r.Properties.Get("networkInterfaces")) {
			report(fmt.Sprintf("networkInterfaces[%d].associatePublicIpAddress", i), field(nic, "associatePublicIpAddress"))
		}
	}
	return nil
}

// isTrue reads a boolean that a schema may type as a string ("true", as launch templates do).
func isTrue(v property.Value) bool {
	return (v.IsBool() && v.AsBool()) || (v.IsString() && v.AsString() == "true")
}
