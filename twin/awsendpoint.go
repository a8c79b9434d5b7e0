package twin

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// awsStandIn is what a member runs as `aws`: it forwards its arguments and the CLI's retry
// settings to serveAWS, and prints and exits as the CLI would.
//
//go:embed aws-standin.sh
var awsStandIn []byte

// loggerStandIn is what a member runs as `logger`: the scripts' log lines go to the member log.
//
//go:embed logger-standin.sh
var loggerStandIn []byte

// awsPort is where the AWS stand-in listens on each member's loopback.
const awsPort = 8773

// DefaultAWSCallDelay is how long each stand-in AWS call takes, about what the real API takes.
const DefaultAWSCallDelay = time.Second

// cliLimit bounds one stand-in CLI command, whatever its timeouts and retries say: longer than
// any the members' scripts can make.
const cliLimit = 10 * time.Minute

// serveAWS answers one member's stand-in CLI until the listener closes.
func (t *Twin) serveAWS(l net.Listener, member string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go t.answerAWS(c, member)
	}
}

// answerAWS reads one command (NUL-separated: the argument count, the arguments,
// AWS_MAX_ATTEMPTS, AWS_RETRY_MODE), plays it and writes back the exit status, standard output
// and standard error.
func (t *Twin) answerAWS(c net.Conn, member string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(cliLimit))
	r := bufio.NewReader(c)
	field := func() (string, error) {
		s, err := r.ReadString(0)
		return strings.TrimSuffix(s, "\x00"), err
	}
	countText, err := field()
	n, convErr := strconv.Atoi(countText)
	if err != nil || convErr != nil || n > 64 {
		return
	}
	fields := make([]string, n+2)
	for i := range fields {
		if fields[i], err = field(); err != nil {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliLimit)
	defer cancel()
	res := t.runCLI(ctx, member, fields[:n], cliEnv{maxAttempts: fields[n], retryMode: fields[n+1]})
	fmt.Fprintf(c, "%d\x00%s\x00%s\x00", res.status, res.stdout, res.stderr)
}
