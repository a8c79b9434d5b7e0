package delivery

// ssmCoreActions are the actions of the AWS managed policy AmazonSSMManagedInstanceCore (version
// of 2026-08, as mirrored by github.com/iann0036/iam-dataset, aws/managedpolicies), which the
// program attaches to every instance role: the SSM agent's registration, Session Manager's
// channels and Run Command's messages. AWS grants them on "*"; so does the boundary.
var ssmCoreActions = []string{
	"ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
	"ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters",
	"ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems",
	"ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
	"ssm:UpdateInstanceInformation",
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
	"ssmmessages:OpenDataChannel",
	"ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
	"ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
}

// MetricsNamespace is the CloudWatch namespace the NAT instances publish to (compute.MetricsNamespace).
const MetricsNamespace = "NatInstance"

// boundaryActions are what the program's roles do besides Session Manager: publish the NATs'
// metrics, move a NAT pair's identity (assign the floating address, move the Elastic IP and the
// default routes) and read where it is, and deliver VPC flow logs.
var boundaryActions = []string{
	"cloudwatch:PutMetricData",
	"ec2:AssignPrivateIpAddresses", "ec2:AssociateAddress", "ec2:ReplaceRoute",
	"ec2:DescribeAddresses", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables",
	"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
}

// BoundaryPolicy is the permissions boundary of every role the program creates: the most any of
// them may do, whatever policy the deploy role puts on it. It names no IAM action, so a role
// made by the deploy role can never change IAM.
func BoundaryPolicy(s Scope) (Document, error) {
	ref, err := Reference()
	if err != nil {
		return Document{}, err
	}
	allowed := []scoped{}
	for _, action := range ssmCoreActions {
		allowed = append(allowed, scoped{action, []string{"*"}, nil})
	}
	for _, action := range boundaryActions {
		_, resources, err := s.lookUp(ref, action)
		if err != nil {
			return Document{}, err
		}
		var condition map[string]map[string]any
		if action == "cloudwatch:PutMetricData" {
			condition = map[string]map[string]any{"StringEquals": {"cloudwatch:namespace": MetricsNamespace}}
		}
		allowed = append(allowed, scoped{action, resources, condition})
	}
	return Document{Version: "2012-10-17", Statement: allowStatements(allowed)}, nil
}
