package delivery

// Invoke is a data source the program reads, in every `pulumi preview` and `pulumi up`.
type Invoke struct {
	Actions []string
	Why     string
}

// Invokes maps each data source the program calls to the IAM actions it makes.
var Invokes = map[string]Invoke{
	"aws:index/getCallerIdentity:getCallerIdentity": {
		Why: "the account id (flow logs' confused-deputy guard); sts:GetCallerIdentity needs no permission (AWS STS API reference)",
	},
	"aws:index/getPartition:getPartition": {Why: "the partition of the provider's region: no AWS call"},
	"aws:index/getRegion:getRegion":       {Why: "the provider's region: no AWS call"},
	"aws:index/getAvailabilityZones:getAvailabilityZones": {
		Actions: []string{"ec2:DescribeAvailabilityZones"},
		Why:     "the zones to place subnets in",
	},
	"aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
		Actions: []string{"ec2:DescribeInstanceTypeOfferings"},
		Why:     "the zones that offer the instance types",
	},
	"aws:ssm/getParameter:getParameter": {
		Actions: []string{"ssm:GetParameter"},
		Why:     "the current Amazon Linux 2023 image, from AWS's public parameter",
	},
	"aws:ec2/getAmi:getAmi": {
		Actions: []string{"ec2:DescribeImages"},
		Why:     "a pinned image exists with the instance type's architecture",
	},
	"aws:ec2/getKeyPair:getKeyPair": {
		Actions: []string{"ec2:DescribeKeyPairs"},
		Why:     "the key pair named by keyName exists",
	},
}
