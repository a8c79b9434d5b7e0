package compute

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// pairMemberOptions are the options of a NAT pair member. A member that does not roll keeps
// what would replace it or stop it (image, instance type, key pair, boot script) as it runs, so
// that one `pulumi up` never takes both members of a pair down: the user rolls one member at a
// time (natPairRoll).
func (s InstanceSettings) pairMemberOptions(rolling bool, extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	opts := s.instanceOptions(extra...)
	if rolling {
		return opts
	}
	held := []string{"instanceType", "keyName", "userDataBase64"}
	if s.AmiPinned {
		held = append([]string{"ami"}, held...) // an image not pinned is kept anyway
	}
	return append(opts, pulumi.IgnoreChanges(held))
}
