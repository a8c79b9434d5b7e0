package e2e

import (
	"fmt"
	"regexp"
)

// accountEnv names the AWS account the test may create its stack in.
const accountEnv = "E2E_AWS_ACCOUNT_ID"

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// checkAccount compares the account the credentials belong to (STS GetCallerIdentity) with the
// one the test was told to use, before anything is created.
func checkAccount(expected, actual string) error {
	switch {
	case expected == "":
		return fmt.Errorf("%s is not set: name the AWS account the throw-away stack may be created in (12 digits)", accountEnv)
	case !accountPattern.MatchString(expected):
		return fmt.Errorf("%s = %q: must be a 12-digit AWS account id", accountEnv, expected)
	case actual != expected:
		return fmt.Errorf("the credentials belong to account %q, not %s = %s: nothing was created", actual, accountEnv, expected)
	}
	return nil
}

// runTagKey is the tag every resource of a run carries (the AWS provider's defaultTags), its
// value the run's id: what the sweeper looks for when a run could not clean up.
const runTagKey = "nat-instance-e2e-run"
