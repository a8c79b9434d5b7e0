package compute

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"text/template"

	"nat-instance/userdata"
)

// NatPairMember is what one member of a NAT pair needs at boot. Plain values: the program
// renders it once every id is known.
type NatPairMember struct {
	PairName        string   // the pair's name, its metrics' dimension
	MemberName      string   // this member's instance name, its own metrics' dimension
	Region          string   // for the AWS CLI
	VpcCidr         string   // what is forwarded and translated
	FloatingIP      string   // the NAT's identity address (natPrivateIp), a secondary address that moves
	SubnetPrefixLen int      // of the public subnet, for `ip addr add FloatingIP/len`
	SelfIP, PeerIP  string   // the two members' fixed primary addresses
	SelfENI         string   // this member's network interface id
	AllocationID    string   // the NAT's (floating) Elastic IP allocation id
	RouteTableIDs   []string // private route tables this NAT serves
	StartsActive    bool     // higher VRRP priority: takes the identity on a fresh pair
	VirtualRouterID int      // VRRP VRID, unique per pair in the VPC (1 + NAT index)
	SSHAllowedCidrs []string // may reach the member on TCP 22 (its own firewall: pairRules)
}

// The member's files, as installed. Tests and the network twin run these very bytes.
var (
	//go:embed pair/nat-pair-setup.sh
	NatPairSetupScript string
	//go:embed pair/nat-pair-notify.sh
	NatPairNotifyScript string
	//go:embed pair/nat-pair-identity.sh
	NatPairIdentityScript string
	//go:embed pair/nat-pair-install.sh
	NatPairInstallScript string
	//go:embed pair/nat-pair-health.sh
	NatPairHealthScript string
	//go:embed pair/keepalived.conf
	natPairKeepalivedTemplate string
	//go:embed pair/conntrackd.conf
	natPairConntrackdTemplate string
)

// Where a member's files go. The twin takes each one back out of the user data by its path.
const (
	NatPairEnvPath         = "/usr/local/etc/nat-pair.env"
	NatPairSetupPath       = "/usr/local/sbin/nat-pair-setup"
	NatPairNotifyPath      = "/usr/local/sbin/nat-pair-notify"
	NatPairIdentityPath    = "/usr/local/sbin/nat-pair-identity"
	NatPairInstallPath     = "/usr/local/sbin/nat-pair-install"
	NatPairHealthPath      = "/usr/local/sbin/nat-pair-health"
	NatPairKeepalivedPath  = "/etc/keepalived/keepalived.conf"
	NatPairConntrackdPath  = "/etc/conntrackd/conntrackd.conf"
	NatPairRunDir          = "/run/nat-pair"
	NatPairSyncPort        = 3780
	natPairActivePriority  = 150
	natPairStandbyPriority = 100
	// keepalived's timers (keepalived.conf), in seconds: an advert every NatPairAdvertInterval;
	// the health check every NatPairHealthInterval, given NatPairHealthTimeout to answer, failed
	// after NatPairHealthFall failures in a row.
	NatPairAdvertInterval = 1
	NatPairHealthInterval = 1
	NatPairHealthTimeout  = 2
	NatPairHealthFall     = 2
	// NatPairCheckInterval is how often, in seconds, the active member checks that the NAT's
	// identity is its own (pair/nat-pair-identity.sh).
	NatPairCheckInterval = 10
)

// natPairFiles lists the files a member installs, in the order the user data writes them: the
// package installer first (it runs before the others are written).
func natPairFiles(m NatPairMember) []userdata.File {
	file := func(path, mode, content string) userdata.File {
		return userdata.File{Path: path, Mode: mode, Content: content, Marker: heredocMarker(path)}
	}
	return []userdata.File{
		file(NatPairInstallPath, "0755", NatPairInstallScript),
		file(NatScriptPath, "0755", NatBootScript),
		file(NatPairSetupPath, "0755", NatPairSetupScript),
		file(NatPairNotifyPath, "0755", NatPairNotifyScript),
		file(NatPairIdentityPath, "0755", NatPairIdentityScript),
		file(NatPairHealthPath, "0755", NatPairHealthScript),
		file(NatPairEnvPath, "0644", natPairEnv(m)),
		file(NatPairKeepalivedPath, "0644", renderPairTemplate(natPairKeepalivedTemplate, m)),
		file(NatPairConntrackdPath, "0644", renderPairTemplate(natPairConntrackdTemplate, m)),
		file(NatUnitPath, "0644", natPairUnit),
		file("/etc/systemd/system/conntrackd.service.d/nat-pair.conf", "0644", natPairConntrackdDropIn),
		file("/etc/systemd/system/keepalived.service.d/nat-pair.conf", "0644", natPairKeepalivedDropIn),
	}
}

// natPairEnv is the settings file every member script reads.
func natPairEnv(m NatPairMember) string {
	return fmt.Sprintf(`NAT_REGION=%s
NAT_VPC_CIDR=%s
NAT_FLOATING_IP=%s
NAT_PREFIX_LEN=%d
NAT_SELF_IP=%s
NAT_PEER_IP=%s
NAT_SELF_ENI=%s
NAT_ALLOCATION_ID=%s
NAT_ROUTE_TABLE_IDS="%s"
NAT_RUN_DIR=%s
NAT_CONNTRACKD_CONF=%s
NAT_SYNC_PORT=%d
NAT_SSH_CIDRS="%s"
NAT_PAIR_NAME=%s
NAT_MEMBER_NAME=%s
NAT_HIGHER_PRIORITY=%d
NAT_CHECK_INTERVAL=%d
NAT_METRICS_NAMESPACE=%s
`, m.Region, m.VpcCidr, m.FloatingIP, m.SubnetPrefixLen, m.SelfIP, m.PeerIP, m.SelfENI, m.AllocationID,
		strings.Join(m.RouteTableIDs, " "), NatPairRunDir, NatPairConntrackdPath, NatPairSyncPort,
		strings.Join(m.SSHAllowedCidrs, " "), m.PairName, m.MemberName, map[bool]int{true: 1}[m.StartsActive], NatPairCheckInterval, MetricsNamespace)
}

func renderPairTemplate(text string, m NatPairMember) string {
	priority := natPairStandbyPriority
	if m.StartsActive {
		priority = natPairActivePriority
	}
	var out bytes.Buffer
	err := template.Must(template.New("").Option("missingkey=error").Parse(text)).Execute(&out, map[string]any{
		"SelfIP": m.SelfIP, "PeerIP": m.PeerIP, "VirtualRouterID": m.VirtualRouterID, "Priority": priority,
		"AdvertInterval": NatPairAdvertInterval, "HealthInterval": NatPairHealthInterval, "HealthTimeout": NatPairHealthTimeout, "HealthFall": NatPairHealthFall,
		"RunDir": NatPairRunDir, "HealthPath": NatPairHealthPath, "NotifyPath": NatPairNotifyPath,
		"SyncPort": NatPairSyncPort,
	})
	if err != nil {
		panic(err) // the templates are embedded: a failure is a bug caught by the tests
	}
	return out.String()
}

// systemd: the boot script first (ruleset and keepalived's interface file), then conntrackd,
// then keepalived, whose first notify needs conntrackd's socket.
const (
	natPairUnit = `[Unit]
Description=NAT pair member: IPv4 forwarding, SNAT to the floating address and forward filter
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + NatPairSetupPath + `

[Install]
WantedBy=multi-user.target
`
	natPairConntrackdDropIn = `[Unit]
After=` + NatUnitName + `
Requires=` + NatUnitName + `

[Service]
# A lock left by an unclean exit would keep conntrackd (and keepalived, which needs it) down.
ExecStartPre=-/bin/rm -f ` + NatPairRunDir + `/conntrackd.lock
`
	natPairKeepalivedDropIn = `[Unit]
After=` + NatUnitName + ` conntrackd.service
Requires=` + NatUnitName + ` conntrackd.service
`
)

// natPairNeeds are the commands a member runs and the AL2023 packages that bring them.
const natPairNeeds = "aws:awscli-2 nft:nftables keepalived:keepalived conntrackd:conntrack-tools"

// NatPairUserData renders a member's user data: the package installer, run at once for what the
// image lacks (through the member's own Elastic IP), every other file, then the units in order.
func NatPairUserData(m NatPairMember) string {
	return natPairScript(m).Render()
}

func natPairScript(m NatPairMember) userdata.Script {
	s := userdata.Script{Title: "NAT pair member boot configuration"}
	for i, f := range natPairFiles(m) {
		step := userdata.Step{File: &f}
		if i == 0 {
			step.Run = NatPairInstallPath + " " + natPairNeeds
		}
		s.Steps = append(s.Steps, step)
	}
	s.Steps = append(s.Steps, userdata.Step{Run: "systemctl daemon-reload\nsystemctl enable " + NatUnitName + " conntrackd.service keepalived.service\n" +
		"systemctl start " + NatUnitName + "\nsystemctl restart conntrackd.service\nsystemctl restart keepalived.service"})
	// Each member publishes its own table and allowance counters, active or standby.
	s.Steps = append(s.Steps, natMetricsSteps()...)
	return s
}

// heredocMarker is the heredoc delimiter of the file at path, unique per path:
// /etc/keepalived/keepalived.conf -> NAT_PAIR_ETC_KEEPALIVED_KEEPALIVED_CONF.
func heredocMarker(path string) string {
	return "NAT_PAIR" + strings.ToUpper(strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(path))
}
