package delivery

import (
	"fmt"
	"slices"
)

// PassedToServices are the services the program passes its roles to: EC2 (instance profiles)
// and VPC flow logs (the flow log's role).
var PassedToServices = []string{"ec2.amazonaws.com", "vpc-flow-logs.amazonaws.com"}

// DeployActions lists every action the deploy role is allowed: the calls of every row of
// Resources, of every data source, and the state backend's.
func DeployActions() []string {
	var out []string
	for _, typ := range sortedKeys(Resources) {
		out = append(out, Resources[typ].All()...)
	}
	for _, token := range sortedKeys(Invokes) {
		out = append(out, Invokes[token].Actions...)
	}
	for _, g := range append(append([]Grant(nil), readState...), writeState...) {
		out = append(out, g.Action)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DeployPolicy is the deploy role's policy: DeployActions, each on the resources the reference
// lets it be scoped to and the scope names, and a statement that denies every change to a role
// it is allowed on the delivery roles themselves.
func DeployPolicy(s Scope) (Document, error) {
	ref, err := Reference()
	if err != nil {
		return Document{}, err
	}
	var allowed []scoped
	var iamWrites []string
	for _, action := range DeployActions() {
		auth, resources, err := s.lookUp(ref, action)
		if err != nil {
			return Document{}, err
		}
		allowed = append(allowed, scoped{action, resources, s.conditionOf(action, auth)})
		if writesRoles(action, auth) {
			iamWrites = append(iamWrites, action)
		}
	}
	statements := append(allowStatements(allowed), s.notTheStateKey(), Statement{
		Sid:      "NotTheDeliveryRoles",
		Effect:   "Deny",
		Action:   iamWrites,
		Resource: []string{s.RoleArn(s.DeployRole), s.RoleArn(s.PreviewRole)},
	})
	return Document{Version: "2012-10-17", Statement: statements}, nil
}

// lookUp returns an action's entry of the reference and the resources the scope allows it on.
func (s Scope) lookUp(ref map[string]Authorization, action string) (Authorization, []string, error) {
	auth, ok := ref[action]
	if !ok {
		return Authorization{}, nil, fmt.Errorf("delivery: %s is not in the Service Authorization Reference extract (sar.json)", action)
	}
	resources, err := s.resourcesOf(action, auth)
	return auth, resources, err
}

// resourcesOf returns what an action is allowed on: "*" when the reference gives it no resource
// type, else the scope's ARNs of each of its resource types that the program touches. A
// required type the scope has no ARN for is an error: the action could not be called.
func (s Scope) resourcesOf(action string, auth Authorization) ([]string, error) {
	if !auth.ScopedTo() {
		return []string{"*"}, nil
	}
	if action == "iam:CreateServiceLinkedRole" {
		// CloudWatch's role for alarm actions on EC2 instances, created with the first alarm.
		return []string{s.arn("iam", "", s.Account, "role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*")}, nil
	}
	if slices.Contains(programKeyActions(), action) {
		return s.programKeyArns(), nil
	}
	service := serviceOf(action)
	arns := s.resourceArns()
	for _, req := range auth.Required() {
		if _, ok := arns[service+":"+req]; !ok {
			return nil, fmt.Errorf("delivery: %s requires a %s resource, for which the scope has no ARN", action, req)
		}
	}
	var out []string
	for _, r := range auth.Resources {
		out = append(out, arns[service+":"+trimStar(r)]...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// conditionOf returns the conditions an action is allowed under.
func (s Scope) conditionOf(action string, auth Authorization) map[string]map[string]any {
	if cond, ok := keyCondition(action); ok {
		return cond
	}
	switch {
	case action == "iam:PassRole":
		return map[string]map[string]any{"StringEquals": {"iam:PassedToService": PassedToServices}}
	case action == "iam:CreateServiceLinkedRole":
		return map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": "events.amazonaws.com"}}
	case action == "iam:AttachRolePolicy" || action == "iam:DetachRolePolicy":
		return map[string]map[string]any{
			"ArnEquals":    {"iam:PolicyARN": s.arn("iam", "", "aws", "policy/"+SSMCorePolicy)},
			"StringEquals": {"iam:PermissionsBoundary": s.BoundaryArn},
		}
	case isIAM(action) && auth.Access != "Read" && slices.Contains(auth.Condition, "iam:PermissionsBoundary"):
		// Only roles that carry the boundary can be created or changed.
		return map[string]map[string]any{"StringEquals": {"iam:PermissionsBoundary": s.BoundaryArn}}
	case action == "cloudwatch:PutMetricAlarm":
		// Alarms may recover or reboot an instance, or notify the program's topics or the
		// stacks' configured ones; nothing else.
		actions := []string{s.AlarmAction("recover"), s.AlarmAction("reboot")}
		actions = append(append(actions, s.named("sns", s.Region, "%s")...), s.AlarmTopicArns...)
		return map[string]map[string]any{"ForAllValues:StringLike": {"cloudwatch:AlarmActions": actions}}
	case action == "kms:GenerateDataKey":
		return map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3." + s.Region + ".amazonaws.com"}}
	}
	return nil
}

func serviceOf(action string) string {
	for i, c := range action {
		if c == ':' {
			return action[:i]
		}
	}
	return action
}

func isIAM(action string) bool { return serviceOf(action) == "iam" }

// writesRoles reports whether an action changes or passes an IAM role.
func writesRoles(action string, auth Authorization) bool {
	return isIAM(action) && auth.Access != "Read" && auth.Access != "List" &&
		(slices.Contains(auth.Resources, "role") || slices.Contains(auth.Resources, "role*"))
}

func trimStar(resourceType string) string {
	if n := len(resourceType); n > 0 && resourceType[n-1] == '*' {
		return resourceType[:n-1]
	}
	return resourceType
}
