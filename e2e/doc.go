// Package e2e deploys a throw-away stack of the lab to a real AWS account with the Automation
// API, checks it like the lab does (through Session Manager), checks that a second preview
// plans nothing, and destroys the stack, also when a check fails. Its test is behind the build
// tag "aws"; without it, `go test ./e2e` runs only the unit tests of its time budget and account
// check:
//
//	E2E_AWS_ACCOUNT_ID=123456789012 E2E_AWS_REGION=eu-west-1 go test -tags aws -timeout 60m -v ./e2e
//
// It needs the Pulumi CLI, the AWS CLI v2 and AWS credentials; docs/e2e.md.
package e2e
