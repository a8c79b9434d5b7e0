package delivery

// Calls are the IAM actions the AWS provider makes to create, read (refresh, and the read after
// every write), update and delete one resource of a type. The lists follow the resource's code in
// terraform-provider-aws v5 (internal/service/<service>/<resource>.go: the API calls of its
// Create, Read, Update and Delete functions and of the waiters they use), which pulumi-aws v6
// runs; where an API call needs another action (RunInstances and iam:PassRole, tags on create),
// the Service Authorization Reference's "dependent actions" and the API reference say so.
type Calls struct {
	Create, Read, Update, Delete []string
}

// All returns every action of the four operations.
func (c Calls) All() []string {
	var out []string
	for _, list := range [][]string{c.Create, c.Read, c.Update, c.Delete} {
		out = append(out, list...)
	}
	return out
}

// Tags on EC2 resources: given at creation (TagSpecifications, which needs ec2:CreateTags) and
// changed in place.
var (
	ec2TagsOnCreate = []string{"ec2:CreateTags"}
	ec2TagsOnUpdate = []string{"ec2:CreateTags", "ec2:DeleteTags"}
)

// Resources maps each resource type the program registers (and the types announced for it, see
// Pending) to the calls its operations make.
var Resources = map[string]Calls{
	"aws:ec2/vpc:Vpc": {
		Create: with(ec2TagsOnCreate, "ec2:CreateVpc", "ec2:DescribeVpcs", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcAttribute"),
		// The default route table, network ACL and security group are read into the VPC's outputs.
		Read:   []string{"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls", "ec2:DescribeSecurityGroups"},
		Update: with(ec2TagsOnUpdate, "ec2:ModifyVpcAttribute"),
		Delete: []string{"ec2:DeleteVpc", "ec2:DescribeVpcs"},
	},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
		// Adopting the default group removes its default rules, then adds the declared ones.
		Create: with(ec2TagsOnUpdate, "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"),
		Read: []string{"ec2:DescribeSecurityGroups"},
		Update: with(ec2TagsOnUpdate, "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"),
		Delete: nil, // the group stays with its VPC; the provider only forgets it
	},
	"aws:ec2/internetGateway:InternetGateway": {
		Create: with(ec2TagsOnCreate, "ec2:CreateInternetGateway", "ec2:DescribeInternetGateways"),
		Read:   []string{"ec2:DescribeInternetGateways"},
		Update: ec2TagsOnUpdate,
		Delete: []string{"ec2:DeleteInternetGateway", "ec2:DescribeInternetGateways"},
	},
	"aws:ec2/internetGatewayAttachment:InternetGatewayAttachment": {
		Create: []string{"ec2:AttachInternetGateway", "ec2:DescribeInternetGateways"},
		Read:   []string{"ec2:DescribeInternetGateways"},
		Delete: []string{"ec2:DetachInternetGateway", "ec2:DescribeInternetGateways"},
	},
	"aws:ec2/routeTable:RouteTable": {
		Create: with(ec2TagsOnCreate, "ec2:CreateRouteTable", "ec2:DescribeRouteTables"),
		Read:   []string{"ec2:DescribeRouteTables"},
		Update: ec2TagsOnUpdate,
		// Associations left on the table are removed before it is deleted.
		Delete: []string{"ec2:DeleteRouteTable", "ec2:DisassociateRouteTable", "ec2:DescribeRouteTables"},
	},
	"aws:ec2/route:Route": {
		Create: []string{"ec2:CreateRoute", "ec2:DescribeRouteTables"},
		Read:   []string{"ec2:DescribeRouteTables"},
		Update: []string{"ec2:ReplaceRoute"},
		Delete: []string{"ec2:DeleteRoute", "ec2:DescribeRouteTables"},
	},
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {
		Create: []string{"ec2:AssociateRouteTable", "ec2:DescribeRouteTables"},
		Read:   []string{"ec2:DescribeRouteTables"},
		Update: []string{"ec2:ReplaceRouteTableAssociation"},
		Delete: []string{"ec2:DisassociateRouteTable", "ec2:DescribeRouteTables"},
	},
	"aws:ec2/subnet:Subnet": {
		Create: with(ec2TagsOnCreate, "ec2:CreateSubnet", "ec2:DescribeSubnets", "ec2:ModifySubnetAttribute"),
		Read:   []string{"ec2:DescribeSubnets"},
		Update: with(ec2TagsOnUpdate, "ec2:ModifySubnetAttribute"),
		// Interfaces that services left in the subnet are looked for before it is deleted.
		Delete: []string{"ec2:DeleteSubnet", "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces"},
	},
	"aws:ec2/securityGroup:SecurityGroup": {
		// A new group's default allow-all egress rule is revoked, then the declared rules added.
		Create: with(ec2TagsOnCreate, "ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"),
		Read: []string{"ec2:DescribeSecurityGroups"},
		Update: with(ec2TagsOnUpdate, "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
			"ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
			"ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress"),
		Delete: []string{"ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"},
	},
	"aws:ec2/networkInterface:NetworkInterface": {
		// Source/dest check and the description are set after creation.
		Create: with(ec2TagsOnCreate, "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:ModifyNetworkInterfaceAttribute"),
		Read:   []string{"ec2:DescribeNetworkInterfaces"},
		Update: with(ec2TagsOnUpdate, "ec2:ModifyNetworkInterfaceAttribute", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Delete: []string{"ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces"},
	},
	"aws:ec2/eip:Eip": {
		Create: with(ec2TagsOnCreate, "ec2:AllocateAddress", "ec2:DescribeAddresses"),
		// The reverse DNS record (ptrRecord) is an address attribute.
		Read:   []string{"ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"},
		Update: ec2TagsOnUpdate,
		// An address still associated (a pair's floating address) is disassociated first.
		Delete: []string{"ec2:ReleaseAddress", "ec2:DisassociateAddress", "ec2:DescribeAddresses"},
	},
	"aws:ec2/eipAssociation:EipAssociation": {
		Create: []string{"ec2:AssociateAddress", "ec2:DescribeAddresses"},
		Read:   []string{"ec2:DescribeAddresses"},
		Delete: []string{"ec2:DisassociateAddress", "ec2:DescribeAddresses"},
	},
	"aws:ec2/instance:Instance": {
		// RunInstances passes the instance profile's role (iam:PassRole) and tags the instance
		// and its volume on launch; the image is read for its root device name.
		Create: with(ec2TagsOnCreate, "ec2:RunInstances", "iam:PassRole", "ec2:DescribeImages", "ec2:DescribeInstances"),
		Read: []string{"ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeInstanceAttribute",
			"ec2:DescribeInstanceCreditSpecifications", "ec2:DescribeVolumes", "ec2:DescribeTags"},
		// A new instance type stops and starts the instance; a new profile is associated in place.
		Update: with(ec2TagsOnUpdate, "ec2:ModifyInstanceAttribute", "ec2:ModifyInstanceMetadataOptions",
			"ec2:ModifyInstanceCreditSpecification", "ec2:StopInstances", "ec2:StartInstances",
			"ec2:DescribeIamInstanceProfileAssociations", "ec2:AssociateIamInstanceProfile",
			"ec2:ReplaceIamInstanceProfileAssociation", "ec2:DisassociateIamInstanceProfile", "iam:PassRole",
			"ec2:ModifyVolume", "ec2:DescribeVolumesModifications"),
		Delete: []string{"ec2:TerminateInstances", "ec2:DescribeInstances"},
	},
	"aws:ec2/flowLog:FlowLog": {
		// The flow log's role is passed to the flow-logs service.
		Create: with(ec2TagsOnCreate, "ec2:CreateFlowLogs", "iam:PassRole", "ec2:DescribeFlowLogs"),
		Read:   []string{"ec2:DescribeFlowLogs"},
		Update: ec2TagsOnUpdate,
		Delete: []string{"ec2:DeleteFlowLogs", "ec2:DescribeFlowLogs"},
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		// CreateLogGroup with tags also needs logs:TagResource.
		Create: []string{"logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy", "logs:DescribeLogGroups"},
		Read:   []string{"logs:DescribeLogGroups", "logs:ListTagsForResource"},
		Update: []string{"logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource"},
		Delete: []string{"logs:DeleteLogGroup"},
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		// An alarm with EC2 actions (a pair member's recover and reboot) needs CloudWatch's
		// service-linked role, created by the first such alarm in the account, and EC2 status
		// reads (CloudWatch API reference, PutMetricAlarm).
		Create: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:DescribeAlarms",
			"iam:CreateServiceLinkedRole", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances"},
		Read:   []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"},
		Update: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"},
		Delete: []string{"cloudwatch:DeleteAlarms"},
	},
	"aws:cloudwatch/dashboard:Dashboard": {
		Create: []string{"cloudwatch:PutDashboard", "cloudwatch:GetDashboard"},
		Read:   []string{"cloudwatch:GetDashboard"},
		Update: []string{"cloudwatch:PutDashboard"},
		Delete: []string{"cloudwatch:DeleteDashboards"},
	},
	"aws:iam/role:Role": {
		// Creating with tags needs iam:TagRole. The role's inline and attached policies are read
		// into its outputs; deleting it first removes it from its instance profiles.
		Create: []string{"iam:CreateRole", "iam:TagRole", "iam:GetRole"},
		Read:   []string{"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"},
		Update: []string{"iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
			"iam:PutRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole"},
		Delete: []string{"iam:DeleteRole", "iam:ListInstanceProfilesForRole", "iam:RemoveRoleFromInstanceProfile",
			"iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
	},
	"aws:iam/rolePolicy:RolePolicy": {
		Create: []string{"iam:PutRolePolicy", "iam:GetRolePolicy"},
		Read:   []string{"iam:GetRolePolicy"},
		Update: []string{"iam:PutRolePolicy"},
		Delete: []string{"iam:DeleteRolePolicy"},
	},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
		Create: []string{"iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"},
		Read:   []string{"iam:ListAttachedRolePolicies"},
		Delete: []string{"iam:DetachRolePolicy"},
	},
	"aws:iam/instanceProfile:InstanceProfile": {
		// Adding the role to the profile passes it (IAM API reference, AddRoleToInstanceProfile).
		Create: []string{"iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:PassRole", "iam:GetInstanceProfile", "iam:TagInstanceProfile"},
		Read:   []string{"iam:GetInstanceProfile"},
		Update: []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:PassRole",
			"iam:TagInstanceProfile", "iam:UntagInstanceProfile"},
		Delete: []string{"iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
	},
	"aws:kms/key:Key": {
		// Tags are given to CreateKey, which needs kms:TagResource for them (KMS Developer Guide,
		// "Controlling access to tags"); rotation is enabled after creation, then the policy, the
		// rotation status and the tags are read until they have propagated. The program never
		// disables the key or its rotation: EnableKey, DisableKey and DisableKeyRotation are left out.
		Create: []string{"kms:CreateKey", "kms:TagResource", "kms:EnableKeyRotation", "kms:DescribeKey",
			"kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
		Read:   []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"},
		Update: []string{"kms:UpdateKeyDescription", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource", "kms:UntagResource"},
		// Deletion schedules it (deletionWindowInDays) and waits until DescribeKey says so.
		Delete: []string{"kms:ScheduleKeyDeletion", "kms:DescribeKey"},
	},
	"aws:sns/topic:Topic": {
		Create: []string{"sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes", "sns:GetTopicAttributes"},
		Read:   []string{"sns:GetTopicAttributes", "sns:ListTagsForResource"},
		Update: []string{"sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"},
		Delete: []string{"sns:DeleteTopic"},
	},
	"aws:sns/topicPolicy:TopicPolicy": {
		Create: []string{"sns:SetTopicAttributes", "sns:GetTopicAttributes"},
		Read:   []string{"sns:GetTopicAttributes"},
		Update: []string{"sns:SetTopicAttributes"},
		Delete: []string{"sns:SetTopicAttributes"}, // back to the default policy
	},
	"aws:sns/topicSubscription:TopicSubscription": {
		Create: []string{"sns:Subscribe", "sns:GetSubscriptionAttributes"},
		Read:   []string{"sns:GetSubscriptionAttributes"},
		Update: []string{"sns:SetSubscriptionAttributes"},
		// An e-mail subscription still pending confirmation cannot be removed; it expires.
		Delete: []string{"sns:Unsubscribe"},
	},
}

// Pending are types with a row in Resources that no graph registers yet, each with who adds
// them: the rows are ready before the program needs them. A pending type that a graph registers
// fails the coverage test, so that it moves out of this list.
var Pending = map[string]string{}

// with returns list followed by more, in a new slice.
func with(list []string, more ...string) []string {
	return append(append([]string(nil), list...), more...)
}
