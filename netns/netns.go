// Package netns is the network-namespace plumbing shared by the network twin (package twin) and
// the capacity rig (package capacity): naming namespaces so that a later run can remove what a
// crashed one left, running commands inside them with a bounded time, and running a boot script
// in one without letting it change this machine's files.
package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
)

// Prefix starts the name of every namespace this project creates: natlab-<pid>-<set>-<role>.
// The pid lets a later run remove what a crashed run left behind.
const Prefix = "natlab-"

var sets atomic.Int64

// NewPrefix names a new set of namespaces of this process (a twin, a rig): natlab-<pid>-<set>-,
// to which the caller appends each namespace's role. Twins and rigs draw from one count, so
// their names never meet even in one process.
func NewPrefix() string {
	return fmt.Sprintf("%s%d-%d-", Prefix, os.Getpid(), sets.Add(1))
}

// Available tells why this machine cannot build namespaces and run commands in them, or nil
// when it can: it needs root and the commands named (scripts/twin-packages names their Debian
// packages).
func Available(commands ...string) error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root")
	}
	for _, command := range commands {
		if _, err := exec.LookPath(command); err != nil {
			return fmt.Errorf("%s is not installed (scripts/twin-packages names its Debian package)", command)
		}
	}
	return nil
}
