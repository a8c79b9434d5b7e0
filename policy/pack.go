package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Resource types the policies look at (pulumi-aws v6 tokens).
const (
	typeInstance             = "aws:ec2/instance:Instance"
	typeLaunchTemplate       = "aws:ec2/launchTemplate:LaunchTemplate"
	typeNetworkInterface     = "aws:ec2/networkInterface:NetworkInterface"
	typeSecurityGroup        = "aws:ec2/securityGroup:SecurityGroup"
	typeDefaultSecurityGroup = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	typeSecurityGroupRule    = "aws:ec2/securityGroupRule:SecurityGroupRule"
	typeIngressRule          = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	typeEgressRule           = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
)

// natNamePatternKey is the config property of the source/dest check policy: a regular
// expression (Go syntax) that a NAT's Name tag, or its resource name when it has no Name tag,
// matches. defaultNatNamePattern matches the program's NATs ("nat-instance", "nat-instance-2",
// "nat-instance-a") and a word "nat" in any other name.
const (
	natNamePatternKey     = "natNamePattern"
	defaultNatNamePattern = `(?i)\bnat\b`
)

// Pack returns the policy pack.
func Pack() (policyx.PolicyPack, error) {
	return policyx.NewPolicyPack("nat-instance", semver.MustParse("1.0.0"), policyx.EnforcementLevelMandatory,
		[]policyx.Policy{
			mandatory("no-ingress-from-anywhere",
				"Security group rules must not allow ingress from a /0 network (CIDRs are parsed, so 10.40.0.0/0 counts).",
				eachRule(noIngressFromAnywhere), nil),
			mandatory("no-all-protocols-to-or-from-anywhere",
				"Security group rules must not allow all protocols to or from a /0 network.",
				eachRule(noAllProtocolsWithAnywhere), nil),
			mandatory("security-group-rule-descriptions",
				"Every security group rule must have a description.",
				eachRule(ruleHasDescription), nil),
			mandatory("imdsv2-required",
				"Instances and launch templates must require IMDSv2 (metadataOptions.httpTokens = required).",
				imdsv2Required, nil),
			mandatory("encrypted-root-volume",
				"Instances must have an encrypted root volume (rootBlockDevice.encrypted = true); launch templates must encrypt every EBS volume they map.",
				encryptedRootVolume, nil),
			mandatory("source-dest-check-only-on-nat",
				"Source/destination check may be off only on a NAT's instance or network interface "+
					"(its Name tag, or its resource name without one, matches the natNamePattern config).",
				sourceDestCheckOnlyOnNat,
				&policyx.ConfigSchema{Properties: map[string]map[string]any{
					natNamePatternKey: {"type": "string", "default": defaultNatNamePattern},
				}}),
		})
}

// mandatory is a resource policy that stops the deployment when violated. The level is set on
// each policy because policyx ignores the pack-level one in v3.274.
func mandatory(name, description string, validate func(context.Context, policyx.ResourceValidationArgs) error,
	config *policyx.ConfigSchema,
) policyx.Policy {
	return policyx.NewResourceValidationPolicy(name, policyx.ResourceValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ConfigSchema:     config,
		ValidateResource: validate,
	})
}

func imdsv2Required(_ context.Context, args policyx.ResourceValidationArgs) error {
	r := args.Resource
	if r.Type != typeInstance && r.Type != typeLaunchTemplate {
		return nil
	}
	options := r.Properties.Get("metadataOptions")
	if r.Type == typeInstance && options.IsNull() && !r.Properties.Get("launchTemplate").IsNull() {
		return nil // the instance's launch template sets them, and is judged itself
	}
	tokens := field(options, "httpTokens")
	if !tokens.IsComputed() && !(tokens.IsString() && tokens.AsString() == "required") {
		args.Manager.ReportViolation(fmt.Sprintf("%s: metadataOptions.httpTokens is %s, not \"required\"", r.Name, show(tokens)), "")
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
		ok := encrypted.IsComputed() || (encrypted.IsString() && encrypted.AsString() == "true") || (encrypted.IsBool() && encrypted.AsBool())
		if !ok {
			args.Manager.ReportViolation(fmt.Sprintf("%s: blockDeviceMappings[%d].ebs.encrypted is %s, not true", r.Name, i, show(encrypted)), "")
		}
	}
}

func sourceDestCheckOnlyOnNat(_ context.Context, args policyx.ResourceValidationArgs) error {
	r := args.Resource
	if r.Type != typeInstance && r.Type != typeNetworkInterface {
		return nil
	}
	check := r.Properties.Get("sourceDestCheck")
	if !check.IsBool() || check.AsBool() {
		return nil // on (AWS's default), or not known before `pulumi up`
	}
	pattern, err := natNamePattern(args.Config)
	if err != nil {
		return err
	}
	name := field(r.Properties.Get("tags"), "Name")
	if name.IsComputed() {
		return nil
	}
	recognisedBy := r.Name
	if name.IsString() {
		recognisedBy = name.AsString()
	}
	if !pattern.MatchString(recognisedBy) {
		args.Manager.ReportViolation(fmt.Sprintf("%s: source/dest check is off but %q does not match %s = %q",
			r.Name, recognisedBy, natNamePatternKey, pattern), "")
	}
	return nil
}

// natNamePattern reads the policy's config, or its default.
func natNamePattern(config map[string]any) (*regexp.Regexp, error) {
	raw, ok := config[natNamePatternKey]
	if !ok {
		return regexp.MustCompile(defaultNatNamePattern), nil
	}
	s, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("policy config %s = %v: must be a string (a Go regular expression)", natNamePatternKey, raw)
	}
	pattern, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("policy config %s = %q: not a Go regular expression: %w", natNamePatternKey, s, err)
	}
	return pattern, nil
}

// field reads key from an object value; anything else (absent, null) reads as null, and an
// unknown object as unknown.
func field(object property.Value, key string) property.Value {
	if object.IsComputed() {
		return object
	}
	if !object.IsMap() {
		return property.New(property.Null)
	}
	return object.AsMap().Get(key)
}

// show prints a value for a violation message.
func show(v property.Value) string {
	switch {
	case v.IsNull():
		return "not set"
	case v.IsString():
		return fmt.Sprintf("%q", v.AsString())
	case v.IsBool():
		return fmt.Sprint(v.AsBool())
	default:
		return v.GoString()
	}
}
