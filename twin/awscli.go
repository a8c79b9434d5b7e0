package twin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmespath/go-jmespath"
)

// Exit statuses of the AWS CLI v2 ("Command line return codes in the AWS CLI"): a command line it
// cannot parse, an invalid environment or configuration, an error answered by the service, any
// other failure (a connection that cannot be made, an answer that does not come).
const (
	awsSyntaxError  = 252
	awsConfigError  = 253
	awsServiceError = 254
	awsOtherError   = 255
)

// kernelConnectTimeout is how long a blocking connect waits on Linux for a silent peer (SYN
// retried tcp_syn_retries = 6 times, 127 s): what --cli-connect-timeout 0 leaves.
const kernelConnectTimeout = 127 * time.Second

// cliEnv is what the CLI takes from its environment (AWS CLI User Guide, "AWS CLI retries").
type cliEnv struct {
	maxAttempts, retryMode string
}

// cliResult is what the CLI leaves: its exit status and what it printed.
type cliResult struct {
	status         int
	stdout, stderr string
}

// The failures of an attempt that never got an answer, in the CLI's words.
var (
	//lint:ignore ST1005 the AWS CLI's own message
	errConnectTimeout = errors.New("Connect timeout on endpoint URL")
	//lint:ignore ST1005 the AWS CLI's own message
	errReadTimeout = errors.New("Read timeout on endpoint URL")
)

// retryPolicy is how many attempts the CLI makes and how long it waits between them.
type retryPolicy struct {
	attempts int
	capped   bool // standard and adaptive modes cap a wait at 20 s
}

// retries reads AWS_RETRY_MODE (standard, the CLI v2 default; legacy; adaptive) and
// AWS_MAX_ATTEMPTS (default 3, legacy 5).
func (e cliEnv) retries() (retryPolicy, error) {
	p := retryPolicy{attempts: 3, capped: true}
	switch e.retryMode {
	case "", "standard", "adaptive":
	case "legacy":
		p = retryPolicy{attempts: 5}
	default:
		//lint:ignore ST1005 the AWS CLI's own message
		return p, fmt.Errorf("Invalid value for retry_mode %q: use legacy, standard or adaptive", e.retryMode)
	}
	if e.maxAttempts != "" {
		n, err := strconv.Atoi(e.maxAttempts)
		if err != nil || n < 1 {
			//lint:ignore ST1005 the AWS CLI's own message
			return p, fmt.Errorf("Invalid value for max_attempts %q: it must be a positive integer", e.maxAttempts)
		}
		p.attempts = n
	}
	return p, nil
}

// wait is the back-off after the n-th failed attempt: min(b * 2^(n-1), 20 s) with b random in
// [0, 1) in the CLI; the stand-in takes b = 1, the longest the CLI can wait, so that a bound
// derived from it holds on AWS.
func (p retryPolicy) wait(n int) time.Duration {
	d := time.Second << (n - 1)
	if p.capped {
		d = min(d, 20*time.Second)
	}
	return d
}

// runCLI plays one `aws` command of a member: parse, then attempts against the endpoint with
// the CLI's retries, timeouts and exit statuses.
func (t *Twin) runCLI(ctx context.Context, member string, args []string, env cliEnv) cliResult {
	cmd, err := parseAWS(args)
	if errors.Is(err, errNoRegion) {
		return cliResult{status: awsConfigError, stderr: err.Error()}
	}
	if err == nil && cmd.query != "" {
		if _, qerr := jmespath.Compile(cmd.query); qerr != nil {
			err = fmt.Errorf("aws: error: Bad value for --query %s: %v", cmd.query, qerr)
		}
	}
	if err != nil {
		return cliResult{status: awsSyntaxError, stderr: err.Error()}
	}
	policy, err := env.retries()
	if err != nil {
		return cliResult{status: awsConfigError, stderr: err.Error()}
	}
	endpoint := fmt.Sprintf(`"https://%s.%s.amazonaws.com/"`, map[string]string{"ec2": "ec2", "cloudwatch": "monitoring"}[cmd.service], cmd.region)
	for n := 1; ; n++ {
		out, err := t.attempt(ctx, member, cmd)
		if err == nil {
			text, ferr := formatOutput(cmd, out)
			if ferr != nil {
				return cliResult{status: awsOtherError, stderr: ferr.Error()}
			}
			return cliResult{stdout: text}
		}
		var api *apiError
		isAPI := errors.As(err, &api)
		if (!isAPI || api.retryable) && n < policy.attempts && ctx.Err() == nil {
			select {
			case <-time.After(policy.wait(n)):
			case <-ctx.Done():
			}
			continue
		}
		switch {
		case !isAPI:
			return cliResult{status: awsOtherError, stderr: fmt.Sprintf("\n%v: %s", err, endpoint)}
		case n > 1:
			return cliResult{status: awsServiceError, stderr: fmt.Sprintf("\nAn error occurred (%s) when calling the %s operation (reached max retries: %d): %s",
				api.code, cmd.op.apiName(), n-1, api.message)}
		default:
			return cliResult{status: awsServiceError, stderr: fmt.Sprintf("\nAn error occurred (%s) when calling the %s operation: %s",
				api.code, cmd.op.apiName(), api.message)}
		}
	}
}

// attempt is one request: through an unreachable endpoint it waits the connect timeout; otherwise
// the endpoint answers after the call's delay (plus a slow fault's), throttles or fails as an
// armed fault says, and the CLI stops listening after its read timeout. A request the CLI
// stopped waiting for is still carried out: EC2 does not know the client left.
func (t *Twin) attempt(ctx context.Context, member string, cmd awsCommand) (any, error) {
	// A takeover is in progress while one of its EC2 changes is: count those.
	p, changes := t.pairOf(member), cmd.service == "ec2" && cmd.op.mutating
	t.ec2.mu.Lock()
	fault := t.faultFor(member, cmd)
	if changes && (fault == nil || fault.Kind != Unreachable) {
		t.ec2.inFlight[p.AllocationID]++
	}
	t.ec2.mu.Unlock()
	if fault != nil && fault.Kind == Unreachable {
		wait := cmd.connectTimeout
		if wait == 0 {
			wait = kernelConnectTimeout
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		return nil, errConnectTimeout
	}
	delay := t.opts.awsCallDelay()
	if fault != nil && fault.Kind == SlowAnswer {
		delay += fault.Delay
	}
	start := time.Now()
	type answer struct {
		out any
		err error
	}
	answered := make(chan answer, 1)
	time.AfterFunc(delay, func() {
		t.ec2.mu.Lock()
		var a answer
		if fault != nil && fault.Kind != SlowAnswer {
			a.err = fault.answer()
		} else {
			a.out, a.err = t.serve(member, cmd)
		}
		t.ec2.calls = append(t.ec2.calls, APICall{At: start, Member: member, Operation: cmd.operation, Mutating: changes,
			Args: cmd.describe(), Err: a.err})
		if changes {
			t.ec2.inFlight[p.AllocationID]--
		}
		t.ec2.mu.Unlock()
		t.logf("%s: aws %s %s: %s", member, cmd.service, cmd.operation, orOK(a.err))
		answered <- a
	})
	var timeout <-chan time.Time
	if cmd.readTimeout > 0 {
		timeout = time.After(cmd.readTimeout)
	}
	select {
	case a := <-answered:
		return a.out, a.err
	case <-timeout:
		return nil, errReadTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// describe is the command's options, for the record of calls.
func (cmd awsCommand) describe() []string {
	out := []string{cmd.service, cmd.operation}
	for _, option := range sortedKeys(cmd.values) {
		out = append(out, option, strings.Join(cmd.values[option], " "))
	}
	return append(out, sortedKeys(cmd.flags)...)
}

func orOK(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// formatOutput prints a response as the CLI does: JSON indented by four spaces, or the text
// format, after --query (JMESPath, as the CLI evaluates it).
func formatOutput(cmd awsCommand, out any) (string, error) {
	if out == nil {
		return "", nil
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	if cmd.query != "" {
		if v, err = jmespath.Search(cmd.query, v); err != nil {
			return "", err
		}
	}
	if cmd.output == "json" {
		pretty, err := json.MarshalIndent(v, "", "    ")
		return string(pretty) + "\n", err
	}
	var b strings.Builder
	err = formatText(&b, v)
	return b.String(), err
}

// formatText is the CLI's text format (awscli's text.py) for what --query leaves in the scripts:
// a scalar on a line, a list's scalars tab-separated on one line, then each of its lists.
// Objects are refused: the scripts never print them as text.
func formatText(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case []any:
		var scalars []string
		var lists []any
		for _, item := range v {
			if _, nested := item.([]any); nested {
				lists = append(lists, item)
				continue
			}
			s, err := textScalar(item)
			if err != nil {
				return err
			}
			scalars = append(scalars, s)
		}
		if len(scalars) > 0 {
			b.WriteString(strings.Join(scalars, "\t") + "\n")
		}
		for _, list := range lists {
			if err := formatText(b, list); err != nil {
				return err
			}
		}
		return nil
	default:
		s, err := textScalar(v)
		b.WriteString(s + "\n")
		return err
	}
}

func textScalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "None", nil
	case bool:
		return map[bool]string{true: "True", false: "False"}[v], nil
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	default:
		return "", fmt.Errorf("the stand-in prints no %T as text: query a scalar or a list", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
