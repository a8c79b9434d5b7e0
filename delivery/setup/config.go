package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"nat-instance/delivery"
	labsettings "nat-instance/settings"
)

// Config keys, as declared in Pulumi.yaml.
const (
	keyGithubRepository = "githubRepository"
	keyOIDCProviderArn  = "oidcProviderArn"
	keyStateBucket      = "stateBucket"
	keyKeyUsers         = "keyUsers"
	keyAlarmTopicArns   = "alarmTopicArns"
)

// settings is the checked configuration.
type settings struct {
	Repository      string   // owner/name
	OIDCProviderArn string   // empty: create the provider
	StateBucket     string   // empty: the default name
	KeyUsers        []string // role or user ARNs
	// AlarmTopicArns are the existing topics the deployed stacks' alarms notify (alarmTopicArn).
	AlarmTopicArns []string
}

var (
	// GitHub owner and repository names: letters, digits, hyphens; a repository also dots and underscores.
	repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	providerPattern   = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/` + regexp.QuoteMeta(delivery.OIDCIssuer) + `$`)
	// S3 bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, starting and
	// ending with a letter or digit.
	bucketPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	principalPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+$`)
)

// loadSettings reads and checks the stack configuration, reporting every mistake at once
// before any resource is registered.
func loadSettings(ctx *pulumi.Context) (settings, error) {
	cfg := config.New(ctx, "")
	var s settings
	var problems []string
	bad := func(key, value, want string) {
		problems = append(problems, fmt.Sprintf("%s:%s = %q: %s", ctx.Project(), key, value, want))
	}
	s.Repository = strings.TrimSpace(cfg.Get(keyGithubRepository))
	if !repositoryPattern.MatchString(s.Repository) {
		bad(keyGithubRepository, s.Repository, "must be the GitHub repository that deploys, as owner/name (e.g. my-org/nat-instance)")
	}
	s.OIDCProviderArn = strings.TrimSpace(cfg.Get(keyOIDCProviderArn))
	if s.OIDCProviderArn != "" && !providerPattern.MatchString(s.OIDCProviderArn) {
		bad(keyOIDCProviderArn, s.OIDCProviderArn, "must be the ARN of the account's OIDC provider for "+delivery.OIDCIssuer+", or unset to create it")
	}
	s.StateBucket = strings.TrimSpace(cfg.Get(keyStateBucket))
	if s.StateBucket != "" && (!bucketPattern.MatchString(s.StateBucket) || strings.Contains(s.StateBucket, "..")) {
		bad(keyStateBucket, s.StateBucket, "must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens), or unset for nat-instance-state-<account>-<region>")
	}
	if raw := cfg.Get(keyKeyUsers); raw != "" {
		if err := json.Unmarshal([]byte(raw), &s.KeyUsers); err != nil {
			bad(keyKeyUsers, raw, `must be a list of IAM role or user ARNs, e.g. ["arn:aws:iam::123456789012:role/Admin"]`)
		}
	}
	for _, user := range s.KeyUsers {
		if !principalPattern.MatchString(user) {
			bad(keyKeyUsers, user, "must be the ARN of an IAM role or user, e.g. arn:aws:iam::123456789012:role/Admin")
		}
	}
	if raw := cfg.Get(keyAlarmTopicArns); raw != "" {
		if err := json.Unmarshal([]byte(raw), &s.AlarmTopicArns); err != nil {
			bad(keyAlarmTopicArns, raw, `must be a list of SNS topic ARNs, e.g. ["arn:aws:sns:ap-northeast-2:123456789012:ops-alarms"]`)
		}
	}
	if len(problems) > 0 {
		return settings{}, errors.New("invalid stack configuration; nothing was created:\n  - " + strings.Join(problems, "\n  - "))
	}
	return s, nil
}

// checkAlarmTopics checks alarmTopicArns against the set-up's partition and region, the
// deployed stacks' (the roles serve one region), as the stacks check their alarmTopicArn.
func checkAlarmTopics(ctx *pulumi.Context, arns []string, partition, region string) error {
	var problems []string
	for _, arn := range arns {
		if want := labsettings.CheckAlarmTopicArn(arn, partition, region); want != "" || arn == "" {
			if want == "" {
				want = "must not be empty"
			}
			problems = append(problems, fmt.Sprintf("%s:%s = %q: %s", ctx.Project(), keyAlarmTopicArns, arn, want))
		}
	}
	if len(problems) > 0 {
		return errors.New("invalid stack configuration; nothing was created:\n  - " + strings.Join(problems, "\n  - "))
	}
	return nil
}
