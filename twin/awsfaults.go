package twin

import (
	"fmt"
	"slices"
	"time"
)

// AWSFaultKind is one way the EC2 endpoint misbehaves.
type AWSFaultKind int

const (
	// Throttled answers RequestLimitExceeded, as EC2 does when a request rate is exceeded (EC2
	// Developer Guide, "Request throttling for the Amazon EC2 API").
	Throttled AWSFaultKind = iota + 1
	// ServerError answers 500 InternalError and 503 Unavailable in turn (EC2 API Reference,
	// "Error codes": server errors).
	ServerError
	// SlowAnswer answers after Delay on top of the call's own time.
	SlowAnswer
	// Unreachable lets no connection through: the CLI waits its connect timeout, then retries.
	Unreachable
)

func (k AWSFaultKind) String() string {
	return [...]string{"no fault", "throttled", "server errors", "slow answers", "endpoint unreachable"}[k]
}

// AWSFault is a fault of the EC2 endpoint for one pair's members, from when a check arms it: the
// first Calls matching requests (0: every one while it lasts), for For after arming (0: until
// Calls are used). Operations limits it to some CLI operations (e.g. "replace-route"); empty, it
// hits every EC2 operation. CloudWatch is another endpoint and is never hit.
type AWSFault struct {
	Kind       AWSFaultKind
	Operations []string
	Calls      int
	For        time.Duration
	Delay      time.Duration
}

func (f AWSFault) String() string {
	what := f.Kind.String()
	if len(f.Operations) > 0 {
		what += fmt.Sprintf(" for %v", f.Operations)
	}
	if f.Calls > 0 {
		what += fmt.Sprintf(", the first %d calls", f.Calls)
	}
	if f.For > 0 {
		what += fmt.Sprintf(", for %v", f.For)
	}
	return what
}

type armedFault struct {
	AWSFault
	since time.Time
	used  int
}

// ArmAWSFaults starts faults of the EC2 endpoint for a pair's members, from now.
func (t *Twin) ArmAWSFaults(p Pair, faults ...AWSFault) {
	t.ec2.mu.Lock()
	defer t.ec2.mu.Unlock()
	for _, f := range faults {
		t.ec2.faults[p.AllocationID] = append(t.ec2.faults[p.AllocationID], &armedFault{AWSFault: f, since: time.Now()})
		t.logf("EC2 fault armed for %s: %s", p.label(), f)
	}
}

// faultFor takes the fault a request of a member meets, if any, and counts it. Under t.ec2.mu.
func (t *Twin) faultFor(member string, cmd awsCommand) *armedFault {
	p := t.pairOf(member)
	if p == nil || cmd.service != "ec2" {
		return nil
	}
	for _, f := range t.ec2.faults[p.AllocationID] {
		over := (f.For > 0 && time.Since(f.since) >= f.For) || (f.Calls > 0 && f.used >= f.Calls)
		if over || (len(f.Operations) > 0 && !slices.Contains(f.Operations, cmd.operation)) {
			continue
		}
		f.used++
		return f
	}
	return nil
}

// faultError is what a fault answers, for the kinds that answer.
func (f *armedFault) answer() *apiError {
	switch {
	case f.Kind == Throttled:
		return &apiError{code: "RequestLimitExceeded", message: "Request limit exceeded.", retryable: true}
	case f.used%2 == 1:
		return &apiError{code: "InternalError", message: "An internal error has occurred.", retryable: true}
	default:
		return &apiError{code: "Unavailable", message: "The server is overloaded and can't handle the request.", retryable: true}
	}
}
