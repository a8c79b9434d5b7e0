package delivery

// What GitHub Actions and AWS agree on for the workflow's OIDC tokens (GitHub Docs, "Configuring
// OpenID Connect in Amazon Web Services"): the issuer, the audience the official AWS action asks
// for, and the subject of each kind of job.
const (
	OIDCIssuer   = "token.actions.githubusercontent.com"
	OIDCAudience = "sts.amazonaws.com"
	// DeployEnvironment is the GitHub environment of the deploy job: its protection rules
	// (required reviewers, main only) stand between a push and the deploy role.
	DeployEnvironment = "deploy"
)

// Names of the delivery's IAM resources. None begins with a NamePrefixes entry, so that the
// deploy role's IAM permissions never reach them.
const (
	DeployRoleName     = "ci-nat-instance-deploy"
	PreviewRoleName    = "ci-nat-instance-preview"
	BoundaryPolicyName = "ci-nat-instance-boundary"
)

// Repository variables the workflow reads (Settings → Secrets and variables → Actions).
const (
	PreviewRoleVariable = "AWS_PREVIEW_ROLE_ARN"
	DeployRoleVariable  = "AWS_DEPLOY_ROLE_ARN"
)

// PreviewSubject is the subject of every job of a pull request in repo ("owner/name").
func PreviewSubject(repo string) string { return "repo:" + repo + ":pull_request" }

// DeploySubject is the subject of a job that runs in the deploy environment of repo.
func DeploySubject(repo string) string {
	return "repo:" + repo + ":environment:" + DeployEnvironment
}

// TrustPolicy lets exactly the tokens of GitHub's OIDC provider with the given subject and the
// AWS audience assume a role: both claims compared in full (StringEquals, no wildcard).
func TrustPolicy(providerArn, subject string) Document {
	return Document{Version: "2012-10-17", Statement: []Statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Federated": providerArn},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{"StringEquals": {
			OIDCIssuer + ":aud": OIDCAudience,
			OIDCIssuer + ":sub": subject,
		}},
	}}}
}
