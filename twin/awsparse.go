package twin

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// awsCommand is one AWS CLI v2 command line, parsed as the CLI would: its global options, the
// service, the operation and the operation's own options.
type awsCommand struct {
	region, service, operation string
	op                         awsOperation
	// connectTimeout and readTimeout are --cli-connect-timeout and --cli-read-timeout: 60 s each
	// unless given, 0 meaning no limit (AWS CLI User Guide, "Command line options").
	connectTimeout, readTimeout time.Duration
	output, query               string
	values                      map[string][]string
	flags                       map[string]bool
}

// globalOptions are the CLI's options the scripts use that apply to every command.
var globalOptions = []string{"--region", "--output", "--query", "--cli-connect-timeout", "--cli-read-timeout"}

// The CLI's defaults for its connection and read timeouts.
const cliDefaultTimeout = 60 * time.Second

// awsOperation describes an operation the members' scripts use: its API action (the IAM action
// name too), whether it changes anything, and the options it takes. Anything else is refused as
// the CLI refuses it, so that a typo fails the checks.
type awsOperation struct {
	action   string // e.g. "ec2:AssignPrivateIpAddresses"
	mutating bool
	required []string // options taking values, all required
	optional []string // options taking values, optional
	lists    []string // those of them that take one or more values
	flags    []string // boolean flags, optional (each also as --no-...)
}

// apiName is the operation's name in the API and in the CLI's error messages.
func (o awsOperation) apiName() string { return o.action[strings.Index(o.action, ":")+1:] }

func (o awsOperation) takesValues(option string) bool {
	return slices.Contains(o.required, option) || slices.Contains(o.optional, option)
}

// awsOperations are the operations of the EC2 and CloudWatch command references
// (https://docs.aws.amazon.com/cli/latest/reference/ec2/, .../cloudwatch/) the members use.
var awsOperations = map[string]map[string]awsOperation{
	"ec2": {
		"assign-private-ip-addresses": {action: "ec2:AssignPrivateIpAddresses", mutating: true,
			required: []string{"--network-interface-id", "--private-ip-addresses"}, lists: []string{"--private-ip-addresses"},
			flags: []string{"--allow-reassignment"}},
		"associate-address": {action: "ec2:AssociateAddress", mutating: true,
			required: []string{"--allocation-id", "--network-interface-id", "--private-ip-address"}, flags: []string{"--allow-reassociation"}},
		"replace-route": {action: "ec2:ReplaceRoute", mutating: true,
			required: []string{"--route-table-id", "--destination-cidr-block", "--network-interface-id"}},
		"describe-network-interfaces": {action: "ec2:DescribeNetworkInterfaces",
			optional: []string{"--network-interface-ids", "--filters"}, lists: []string{"--network-interface-ids", "--filters"}},
		"describe-addresses": {action: "ec2:DescribeAddresses", optional: []string{"--allocation-ids"}, lists: []string{"--allocation-ids"}},
		"describe-route-tables": {action: "ec2:DescribeRouteTables",
			optional: []string{"--route-table-ids"}, lists: []string{"--route-table-ids"}},
	},
	"cloudwatch": {
		"put-metric-data": {action: "cloudwatch:PutMetricData", mutating: true,
			required: []string{"--namespace", "--metric-name", "--value"}, optional: []string{"--dimensions", "--unit"}},
	},
}

// parseAWS reads a command line: global options anywhere (--region, which the scripts always
// give, the two timeouts, --output, --query), then SERVICE OPERATION and the operation's options,
// each at most once; an option of a list type takes every value up to the next option.
func parseAWS(args []string) (awsCommand, error) {
	cmd := awsCommand{connectTimeout: cliDefaultTimeout, readTimeout: cliDefaultTimeout, output: "json",
		values: map[string][]string{}, flags: map[string]bool{}}
	var positional []string
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "--") {
			positional = append(positional, arg)
			if len(positional) > 2 {
				return cmd, fmt.Errorf("aws: error: unexpected argument %q", arg)
			}
			continue
		}
		if seen[arg] {
			return cmd, fmt.Errorf("aws: error: option %s given twice", arg)
		}
		seen[arg] = true
		// A global option takes one value; an operation's option every value up to the next option.
		var values []string
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") && (!slices.Contains(globalOptions, arg) || len(values) == 0) {
			values = append(values, args[i+1])
			i++
		}
		if err := cmd.set(arg, values, len(positional)); err != nil {
			return cmd, err
		}
	}
	if len(positional) < 2 {
		return cmd, fmt.Errorf("aws: error: the following arguments are required: service, operation (got %q)", args)
	}
	return cmd, cmd.complete(positional[0], positional[1])
}

// set takes one option: a global one at once, an operation's own for complete to check.
func (cmd *awsCommand) set(option string, values []string, positionals int) error {
	one := func() (string, error) {
		if len(values) != 1 {
			return "", fmt.Errorf("aws: error: argument %s: expected one argument, got %q", option, values)
		}
		return values[0], nil
	}
	var err error
	switch option {
	case "--region":
		cmd.region, err = one()
	case "--output":
		if cmd.output, err = one(); err == nil && cmd.output != "json" && cmd.output != "text" {
			err = fmt.Errorf("aws: error: argument --output: invalid choice %q (the scripts use json or text)", cmd.output)
		}
	case "--query":
		cmd.query, err = one()
	case "--cli-connect-timeout", "--cli-read-timeout":
		var text string
		var seconds int
		if text, err = one(); err == nil {
			if seconds, err = strconv.Atoi(text); err != nil || seconds < 0 {
				err = fmt.Errorf("aws: error: argument %s: invalid int value: %q", option, text)
			}
		}
		if option == "--cli-connect-timeout" {
			cmd.connectTimeout = time.Duration(seconds) * time.Second
		} else {
			cmd.readTimeout = time.Duration(seconds) * time.Second
		}
	default:
		if positionals < 2 {
			return fmt.Errorf("aws: error: option %s before the service and operation is not a global option", option)
		}
		if len(values) == 0 {
			cmd.flags[option] = true
		} else {
			cmd.values[option] = values
		}
	}
	return err
}

// complete checks the operation's own options against its description.
func (cmd *awsCommand) complete(service, operation string) error {
	cmd.service, cmd.operation = service, operation
	ops, ok := awsOperations[service]
	if !ok {
		return fmt.Errorf("aws: error: argument command: invalid choice: %q", service)
	}
	if cmd.op, ok = ops[operation]; !ok {
		return fmt.Errorf("aws: error: argument operation: invalid choice: %q", operation)
	}
	if cmd.region == "" {
		return errNoRegion
	}
	for option := range cmd.flags {
		name, negated := strings.CutPrefix(option, "--no-")
		if negated {
			name = "--" + name
		}
		if !slices.Contains(cmd.op.flags, name) {
			return fmt.Errorf("aws: error: %s: unknown or valueless option %q", operation, option)
		}
	}
	for option, values := range cmd.values {
		if !cmd.op.takesValues(option) {
			return fmt.Errorf("aws: error: %s: unknown option %q", operation, option)
		}
		if len(values) > 1 && !slices.Contains(cmd.op.lists, option) {
			return fmt.Errorf("aws: error: %s: argument %s: expected one argument, got %q", operation, option, values)
		}
	}
	for _, option := range cmd.op.required {
		if len(cmd.values[option]) == 0 {
			return fmt.Errorf("aws: error: %s: the following arguments are required: %s", operation, option)
		}
	}
	return nil
}

// errNoRegion is the CLI's answer when no region is configured: an error of the environment, not
// of the syntax (exit status 253).
//
//lint:ignore ST1005 the AWS CLI's own message
var errNoRegion = errors.New(`You must specify a region. You can also configure your region by running "aws configure".`)

// value is the single value of an option ("" when absent).
func (cmd awsCommand) value(option string) string {
	if v := cmd.values[option]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// shorthand reads the CLI's shorthand syntax Key=Value,Key=Value (AWS CLI User Guide,
// "Shorthand syntax"); a key given as Values takes every value after it.
func shorthand(text string) (map[string][]string, error) {
	out := map[string][]string{}
	key := ""
	for _, part := range strings.Split(text, ",") {
		k, v, ok := strings.Cut(part, "=")
		switch {
		case ok:
			key = k
			out[key] = append(out[key], v)
		case key != "":
			out[key] = append(out[key], part)
		default:
			return nil, fmt.Errorf("aws: error: invalid shorthand %q: expected Key=Value", text)
		}
	}
	return out, nil
}
