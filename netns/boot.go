package netns

import (
	"context"
	"os"
)

// BootCommand is a boot script and the arguments it is started with: an instance's, taken
// from its user data, so that the twin and the capacity rig run the very bytes AWS would.
type BootCommand struct {
	Script []byte
	Args   []string
}

// RunBoot runs a boot command in namespace ns, as the instance's systemd unit would, and
// returns its output. What it persists under /etc stays in a private layer (privateEtc).
func RunBoot(ctx context.Context, ns string, boot *BootCommand) (string, error) {
	dir, err := os.MkdirTemp("", "natlab-boot-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	script := dir + "/nat-instance-setup"
	if err := os.WriteFile(script, boot.Script, 0o755); err != nil {
		return "", err
	}
	return Exec(ctx, ns, append([]string{"unshare", "--mount", "sh", "-c", privateEtc, script}, boot.Args...)...)
}

// privateEtc runs a script ($0, with its arguments) in a private mount namespace with an overlay
// on /etc (upper layer in a tmpfs next to the script): what it persists (sysctl.d, modprobe.d,
// modules-load.d) stays away from this machine.
const privateEtc = `layer=$(dirname "$0")/etc &&
	mkdir "$layer" && mount -t tmpfs tmpfs "$layer" && mkdir "$layer/upper" "$layer/work" &&
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$layer/upper,workdir=$layer/work" /etc &&
	exec bash "$0" "$@"`
