package natpair

import (
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
)

// memberOptions are the options of a NAT pair member. A member that does not roll keeps
// what would replace it or stop it (image, instance type, key pair, boot script) as it runs, so
// that one `pulumi up` never takes both members of a pair down: the user rolls one member at a
// time (natPairRoll).
func memberOptions(s compute.InstanceSettings, rolling bool, extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	opts := s.InstanceOptions(extra...)
	if rolling {
		return opts
	}
	held := []string{"instanceType", "keyName", "userDataBase64"}
	if s.AmiPinned {
		held = append([]string{"ami"}, held...) // an image not pinned is kept anyway
	}
	return append(opts, pulumi.IgnoreChanges(held))
}

// Rolling tells which members of the NAT named nat are named in roll (natPairRoll), in member
// order: those take the configured image, type, key pair and boot script now.
func Rolling(nat string, roll []string) [Members]bool {
	var rolling [Members]bool
	for i := range rolling {
		rolling[i] = slices.Contains(roll, MemberName(nat, i))
	}
	return rolling
}
