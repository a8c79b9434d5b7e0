package mockgraph

import (
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FeatureBoundary is the permissions boundary the feature configs set.
const FeatureBoundary = "arn:aws:iam::123456789012:policy/ci-nat-instance-boundary"

// Features are stack configurations (keys without the project's namespace) that, between them,
// turn on every optional setting of the program: a two-zone stack of NAT pairs with everything
// given, a one-zone stack with a single NAT, and the lab with its alarms sent to an existing
// topic and no dashboard. Checks that must hold for any
// stack (the delivery policies, the policy pack) run over them besides the stack files.
var Features = map[string]map[string]string{
	"features on, NAT pairs": {
		"zoneCount":              "2",
		"availabilityZones":      `["ap-northeast-2a","ap-northeast-2c"]`,
		"publicSubnetCidrs":      `["10.40.1.0/24","10.40.3.0/24"]`,
		"privateSubnetCidrs":     `["10.40.2.0/24","10.40.4.0/24"]`,
		"natPrivateIps":          `["10.40.1.100","10.40.3.100"]`,
		"natHighAvailability":    "true",
		"natMemberIps":           `["10.40.1.11","10.40.1.12","10.40.3.11","10.40.3.12"]`,
		"natPairRoll":            `["nat-instance-b"]`,
		"privateInstanceIps":     `["10.40.2.101","10.40.4.101"]`,
		"natInstanceType":        "t4g.small",
		"privateInstanceType":    "t4g.micro",
		"natAmiId":               "ami-0123456789abcdef0",
		"privateAmiId":           "ami-0123456789abcdef1",
		"keyName":                "lab-key",
		"sshAllowedCidrs":        `["198.51.100.0/24"]`,
		"iamPermissionsBoundary": FeatureBoundary,
		"alarmEmail":             "ops@example.com",
	},
	"features on, a single NAT": {
		"vpcCidr":                "10.50.0.0/16",
		"natStrategy":            "single",
		"availabilityZone":       "ap-northeast-2b",
		"publicSubnetCidr":       "10.50.1.0/24",
		"privateSubnetCidr":      "10.50.2.0/24",
		"natPrivateIp":           "10.50.1.10",
		"privateInstanceIps":     `["10.50.2.10"]`,
		"keyName":                "lab-key",
		"sshAllowedCidrs":        `["203.0.113.7/32"]`,
		"iamPermissionsBoundary": FeatureBoundary,
		"alarmEmail":             "ops@example.com",
		"alarmTopicKmsKeyId":     "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	},
	"features on, alarms to an existing topic, no dashboard": {
		"alarmTopicArn": "arn:aws:sns:ap-northeast-2:123456789012:ops-alarms",
		"dashboard":     "false",
	},
}

// FeatureNames lists Features in order.
func FeatureNames() []string { return slices.Sorted(maps.Keys(Features)) }

// RunFeature runs program with a feature config, in Seoul, with the images it pins.
func RunFeature(program pulumi.RunFunc, name string) (*Graph, error) {
	cfg := map[string]string{"aws:region": "ap-northeast-2"}
	for k, v := range Features[name] {
		cfg[Project+":"+k] = v
	}
	images := map[string]string{"ami-0123456789abcdef0": "arm64", "ami-0123456789abcdef1": "arm64"}
	return Run(program, cfg, Options{Stack: "features", Images: images})
}
