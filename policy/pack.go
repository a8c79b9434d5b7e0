package main

import (
	"context"
	"fmt"

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
	typeSubnet               = "aws:ec2/subnet:Subnet"
	typeRoute                = "aws:ec2/route:Route"
	typeRouteTable           = "aws:ec2/routeTable:RouteTable"
	typeDefaultRouteTable    = "aws:ec2/defaultRouteTable:DefaultRouteTable"
	typeEip                  = "aws:ec2/eip:Eip"
	typeEipAssociation       = "aws:ec2/eipAssociation:EipAssociation"
	typePrefixList           = "aws:ec2/managedPrefixList:ManagedPrefixList"
	typePrefixListEntry      = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
)

// Pack returns the policy pack. Every policy is mandatory and takes no config: what the pack
// enforces is decided by the pack's code, which the delivery workflow takes from the base branch.
func Pack() (policyx.PolicyPack, error) {
	return policyx.NewPolicyPack("nat-instance", semver.MustParse("2.0.0"), policyx.EnforcementLevelMandatory,
		[]policyx.Policy{
			mandatory("no-ingress-from-anywhere",
				"Security group rules must not allow ingress from the internet: a network wider than /8 (IPv6: /32), as the program refuses for sshAllowedCidrs (CIDRs are parsed, so 10.40.0.0/0 counts), or a security group of another account. A NAT pair's untracked group is the one exception (untracked-group-only-on-nat).",
				eachRule(noIngressFromAnywhere)),
			mandatory("no-all-protocols-to-or-from-anywhere",
				"Security group rules must not allow all protocols to or from a network wider than /8 (IPv6: /32).",
				eachRule(noAllProtocolsWithAnywhere)),
			mandatory("security-group-rule-descriptions",
				"Every security group rule must have a description.",
				eachRule(ruleHasDescription)),
			mandatory("imdsv2-required",
				"Instances and launch templates must require IMDSv2 (metadataOptions.httpTokens = required).",
				imdsv2Required),
			mandatory("imds-hop-limit-1",
				"Instances and launch templates must answer metadata requests of the instance only (metadataOptions.httpPutResponseHopLimit = 1): a forwarded packet or a container one hop away gets no credentials.",
				imdsHopLimit),
			mandatory("encrypted-root-volume",
				"Instances must have an encrypted root volume (rootBlockDevice.encrypted = true); launch templates must encrypt every EBS volume they map.",
				encryptedRootVolume),
			mandatory("no-public-address-on-launch",
				"No subnet gives launched instances a public address (mapPublicIpOnLaunch), and no instance or launch template asks for one (associatePublicIpAddress): public addresses are Elastic IPs on NAT interfaces.",
				noPublicAddressOnLaunch),
			stackPolicy("source-dest-check-only-on-nat",
				"Source/destination check may be off only on a NAT's network interface (or its instance). A NAT is known by what it does in the stack, not by a name: a 0.0.0.0/0 route of the stack targets the interface, or it is the standby member of such a NAT (same subnet and security group, the group allowing VRRP from itself).",
				sourceDestCheckOnlyOnNat),
			stackPolicy("public-addresses-only-on-nat",
				"Elastic IPs are associated only with NAT interfaces (as source-dest-check-only-on-nat knows them) or their instances.",
				publicAddressesOnlyOnNat),
			stackPolicy("untracked-group-only-on-nat",
				"A security group that lets TCP and UDP in from 0.0.0.0/0 on all ports and out to it (a NAT pair's, which leaves them untracked for its members to filter) is carried by NAT interfaces only, as source-dest-check-only-on-nat knows them.",
				untrackedOnlyOnNat),
			stackPolicy("no-ingress-from-anywhere-through-prefix-lists",
				"An ingress rule that names a prefix list names one of the stack, and none of its entries is wider than /8 (IPv6: /32): a prefix list outside the stack cannot be examined.",
				prefixListsOfTheStack),
		})
}

// mandatory is a resource policy that stops the deployment when violated. The level is set on
// each policy because policyx ignores the pack-level one in v3.274.
func mandatory(name, description string, validate func(context.Context, policyx.ResourceValidationArgs) error) policyx.Policy {
	return policyx.NewResourceValidationPolicy(name, policyx.ResourceValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateResource: validate,
	})
}

// stackPolicy is a mandatory policy over the whole stack: the engine runs it once every resource
// is registered (in `pulumi up`, after they were created), with each resource's outputs and the
// resources its inputs came from.
func stackPolicy(name, description string, validate func(*stackGraph, policyx.PolicyManager)) policyx.Policy {
	return policyx.NewStackValidationPolicy(name, policyx.StackValidationPolicyArgs{
		Description:      description,
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			validate(newStackGraph(args.Resources), args.Manager)
			return nil
		},
	})
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
	case v.IsNumber():
		return fmt.Sprint(v.AsNumber())
	default:
		return v.GoString()
	}
}
