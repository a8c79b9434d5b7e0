package compute

import (
	_ "embed"
	"fmt"

	"nat-instance/userdata"
)

// NatBootScript is the script the NAT instance's systemd unit runs at every boot. Tests and the
// network twin execute these very bytes.
//
//go:embed nat-boot.sh
var NatBootScript string

// Paths of the NAT user data. The network twin reads the script and the unit back out of the
// rendered user data by these paths.
const (
	NatScriptPath = "/usr/local/sbin/nat-instance-setup"
	NatUnitName   = "nat-instance.service"
	NatUnitPath   = "/etc/systemd/system/" + NatUnitName
	// NatInstallBegin and NatInstallEnd bracket the only step that needs the internet: the
	// package install when the AMI lacks nft.
	NatInstallBegin = "# --- begin package install ---"
	NatInstallEnd   = "# --- end package install ---"
)

// NatUserData renders the NAT instance's user data: install nftables only if the AMI lacks it
// (with swap and retries, so a 512 MiB instance survives dnf), write the boot script and a
// systemd unit that runs it at every boot, start it now, then the metrics timer.
func NatUserData(vpcCidr string) string {
	return natScript(vpcCidr).Render()
}

func natScript(vpcCidr string) userdata.Script {
	return userdata.Script{
		Title: "NAT instance boot configuration",
		Steps: append([]userdata.Step{
			{Run: packageInstall("command -v nft >/dev/null", "nftables")},
			{File: &userdata.File{Path: NatScriptPath, Mode: "0755", Content: NatBootScript, Marker: "NAT_INSTANCE_SCRIPT"}},
			{File: &userdata.File{Path: NatUnitPath, Content: natUnit(vpcCidr), Marker: "NAT_INSTANCE_UNIT"}},
			{Run: "systemctl daemon-reload\nsystemctl enable --now " + NatUnitName},
		}, NatMetricsSteps()...),
	}
}

// natUnit runs the boot script at every boot, once the network is up.
func natUnit(vpcCidr string) string {
	return `[Unit]
Description=NAT instance: IPv4 forwarding, masquerade and forward filter
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + NatScriptPath + " " + vpcCidr + `

[Install]
WantedBy=multi-user.target
`
}

// packageInstall renders the only step that needs the internet: when present fails, install
// packages with dnf, with swap (room for dnf on a 512 MiB instance, removed once the packages are
// in) and bounded retries.
func packageInstall(present, packages string) string {
	return fmt.Sprintf(`%[1]s
if ! %[3]s; then
	# Room for dnf on a 512 MiB instance, removed once the package is in.
	if [ ! -e /swapfile-nat-instance ]; then
		dd if=/dev/zero of=/swapfile-nat-instance bs=1M count=1024 status=none
		chmod 0600 /swapfile-nat-instance
		mkswap /swapfile-nat-instance >/dev/null
	fi
	swapon /swapfile-nat-instance || true
	for attempt in 1 2 3 4 5 6; do
		dnf -y -q install %[4]s && break
		[ "$attempt" -eq 6 ] && { echo "nat-instance: dnf install %[4]s failed 6 times" >&2; exit 1; }
		sleep $((attempt * 10))
	done
	swapoff /swapfile-nat-instance && rm -f /swapfile-nat-instance
fi
%[2]s`, NatInstallBegin, NatInstallEnd, present, packages)
}
