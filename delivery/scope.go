package delivery

import "fmt"

// Scope is where the policies apply: one account and region, the state bucket and key, the
// boundary the program's roles carry and the two delivery roles.
type Scope struct {
	Partition string // aws, aws-cn, aws-us-gov
	Region    string
	Account   string
	// StateBucket is the name of the bucket that holds the Pulumi state.
	StateBucket string
	// KeyArn is the KMS key of the stacks' secrets and of the bucket's objects.
	KeyArn string
	// BoundaryArn is the managed policy every role of the program must carry as its boundary.
	BoundaryArn string
	// DeployRole and PreviewRole are the names of the delivery roles.
	DeployRole, PreviewRole string
	// AlarmTopicArns are the existing topics the deployed stacks' alarms notify (their
	// alarmTopicArn), whatever their names: the only topics besides the program's own that an
	// alarm may name.
	AlarmTopicArns []string
}

// NamePrefixes begin the name of every resource of the program that IAM scopes by name (roles,
// instance profiles, log groups, alarms, dashboards, topics): Pulumi names them after their
// logical names ("nat-lab-ssm-1a2b3c4", "nat-instance-conntrack-table-…"). The delivery roles'
// names must begin with neither.
var NamePrefixes = []string{"nat-lab-", "nat-instance"}

// SSMCorePolicy is the one managed policy the program attaches to its roles.
const SSMCorePolicy = "AmazonSSMManagedInstanceCore"

// arn builds an ARN in the scope's partition.
func (s Scope) arn(service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", s.Partition, service, region, account, resource)
}

// AlarmAction is the ARN of an alarm's EC2 action (recover, reboot) in the scope's region.
func (s Scope) AlarmAction(action string) string {
	return fmt.Sprintf("arn:%s:automate:%s:ec2:%s", s.Partition, s.Region, action)
}

// RoleArn is the ARN of a role of the scope's account.
func (s Scope) RoleArn(name string) string { return s.arn("iam", "", s.Account, "role/"+name) }

// named lists one ARN per name prefix: resource is printed with each prefix followed by "*".
func (s Scope) named(service, region, resource string) []string {
	var out []string
	for _, p := range NamePrefixes {
		out = append(out, s.arn(service, region, s.Account, fmt.Sprintf(resource, p+"*")))
	}
	return out
}

// resourceArns maps each resource type of the reference ("service:type") that the program's
// calls touch to the ARNs the roles may use it on. EC2 resources have generated ids, so they are
// scoped to the account and region: an EC2 action acts on its own resource types only, so naming
// each type would allow nothing less. Named resources are scoped to the program's names.
func (s Scope) resourceArns() map[string][]string {
	out := map[string][]string{
		// Public images belong to other accounts: an image ARN has no account.
		"ec2:image":            {s.arn("ec2", s.Region, "", "image/*")},
		"iam:role":             s.named("iam", "", "role/%s"),
		"iam:instance-profile": s.named("iam", "", "instance-profile/%s"),
		"logs:log-group":       s.named("logs", s.Region, "log-group:%s"),
		"logs:log-stream":      s.named("logs", s.Region, "log-group:%s:log-stream:*"),
		"cloudwatch:alarm":     s.named("cloudwatch", s.Region, "alarm:%s"),
		"cloudwatch:dashboard": s.named("cloudwatch", "", "dashboard/%s"),
		"sns:topic":            s.named("sns", s.Region, "%s"),
		"ssm:parameter":        {s.arn("ssm", s.Region, "", "parameter/aws/service/ami-amazon-linux-latest/*")},
		"s3:bucket":            {s.arn("s3", "", "", s.StateBucket)},
		"s3:object":            {s.arn("s3", "", "", s.StateBucket+"/.pulumi/*")},
		"kms:key":              {s.KeyArn},
	}
	for _, kind := range ec2Kinds {
		out["ec2:"+kind] = []string{s.arn("ec2", s.Region, s.Account, "*")}
	}
	return out
}

// ec2Kinds are the EC2 resource types the program's calls touch.
var ec2Kinds = []string{"vpc", "subnet", "security-group", "security-group-rule", "internet-gateway", "route-table",
	"network-interface", "elastic-ip", "instance", "volume", "key-pair", "vpc-flow-log"}
