// plandiff prints what `pulumi preview` would do to a stack deployed from its stack file when
// the configuration changes, or when Amazon publishes a new image: resource by resource,
// nothing, update in place (an instance type change stops the instance), replace, create or
// delete, any instance created on an address another one still holds, and the NATs left
// without a running instance (a NAT instance, or both members of a pair). It runs the program
// under mocks twice; no AWS account is needed.
//
//	go run ./cmd/plandiff -stack prod -set natInstanceType=t3.small
//	go run ./cmd/plandiff -stack dev -ami-release 2
//	go run ./cmd/plandiff -stack dev -set 'privateInstanceIps=["10.40.2.102"]'
//	go run ./cmd/plandiff -stack prod -deployed natHighAvailability=true -set natInstanceType=t4g.medium -set 'natPairRoll=["nat-instance-b"]'
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"nat-instance/lab"
	"nat-instance/mockgraph"
	"nat-instance/plandiff"
)

// settings collects repeated -set key=value flags.
type settings map[string]string

func (s settings) String() string { return fmt.Sprint(map[string]string(s)) }

func (s settings) Set(kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("want key=value, got %q", kv)
	}
	if !strings.Contains(key, ":") {
		key = mockgraph.Project + ":" + key
	}
	s[key] = value
	return nil
}

func main() {
	dir := flag.String("dir", ".", "project directory (holds Pulumi.<stack>.yaml)")
	stack := flag.String("stack", "dev", "stack whose file is the deployed configuration")
	release := flag.String("ami-release", "", "play a new Amazon Linux release: the SSM parameter answers ami-<arch>-<release> after")
	deployed, changes := settings{}, settings{}
	flag.Var(deployed, "deployed", "key=value the deployed stack has on top of its stack file (repeatable)")
	flag.Var(changes, "set", "key=value to change after (repeatable; lists as JSON)")
	flag.Parse()
	if err := run(*dir, *stack, *release, deployed, changes); err != nil {
		fmt.Fprintln(os.Stderr, "plandiff:", err)
		os.Exit(1)
	}
}

func run(dir, stack, release string, deployed, changes settings) error {
	config, err := mockgraph.StackConfig(dir, stack)
	if err != nil {
		return err
	}
	for k, v := range deployed {
		config[k] = v
	}
	before, err := mockgraph.Run(lab.Program, config, mockgraph.Options{Stack: stack})
	if err != nil {
		return fmt.Errorf("deployed configuration: %w", err)
	}
	for k, v := range changes {
		config[k] = v
	}
	after, err := mockgraph.Run(lab.Program, config, mockgraph.Options{Stack: stack, AmiRelease: release})
	if err != nil {
		return fmt.Errorf("changed configuration: %w", err)
	}
	plan := plandiff.Diff(before, after)
	plan.Print(os.Stdout)
	for _, clash := range plan.AddressClashes() {
		fmt.Println("REFUSED BY AWS:", clash)
	}
	if down := plan.NatsDown(after); len(down) > 0 {
		fmt.Println("NATs without a running instance during the update:", strings.Join(down, ", "))
	}
	return nil
}
