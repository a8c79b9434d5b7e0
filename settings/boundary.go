package settings

import (
	"regexp"
	"strings"
)

// KeyIamPermissionsBoundary is the permissions boundary every IAM role of the stack carries, as
// declared in Pulumi.yaml. Empty: none (a stack deployed with an administrator's credentials);
// a stack deployed by the delivery roles must set it, since they create only roles that carry it.
const KeyIamPermissionsBoundary = "iamPermissionsBoundary"

// policyArnPattern is an IAM managed policy ARN of an account, with an optional path.
var policyArnPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy/([\x21-\x7e]+/)?[\w+=,.@-]{1,128}$`)

// readBoundary reads the boundary key into raw.
func readBoundary(get lookup, raw *Raw) {
	if v, ok := get(KeyIamPermissionsBoundary); ok {
		raw.IamPermissionsBoundary = strings.TrimSpace(v)
	}
}

// boundary checks the boundary's ARN.
func (p *Problems) boundary(s *Settings, raw Raw) {
	if raw.IamPermissionsBoundary != "" && !policyArnPattern.MatchString(raw.IamPermissionsBoundary) {
		p.add(KeyIamPermissionsBoundary, raw.IamPermissionsBoundary,
			"must be the ARN of an IAM managed policy such as arn:aws:iam::123456789012:policy/nat-instance-boundary (the delivery set-up's boundaryPolicyArn output), or unset")
		return
	}
	s.IamPermissionsBoundary = raw.IamPermissionsBoundary
}
