package natpair

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"text/template"

	"nat-instance/compute"
	"nat-instance/userdata"
)

// Boot is what one member of a NAT pair needs at boot. Plain values: the program
// renders it once every id is known.
type Boot struct {
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
	SetupScript string
	//go:embed pair/nat-pair-notify.sh
	NotifyScript string
	//go:embed pair/nat-pair-identity.sh
	IdentityScript string
	//go:embed pair/nat-pair-install.sh
	InstallScript string
	//go:embed pair/nat-pair-health.sh
	HealthScript string
	//go:embed pair/keepalived.conf
	keepalivedTemplate string
	//go:embed pair/conntrackd.conf
	conntrackdTemplate string
)

// Where a member's files go. The twin takes each one back out of the user data by its path.
const (
	EnvPath         = "/usr/local/etc/nat-pair.env"
	SetupPath       = "/usr/local/sbin/nat-pair-setup"
	NotifyPath      = "/usr/local/sbin/nat-pair-notify"
	IdentityPath    = "/usr/local/sbin/nat-pair-identity"
	InstallPath     = "/usr/local/sbin/nat-pair-install"
	HealthPath      = "/usr/local/sbin/nat-pair-health"
	KeepalivedPath  = "/etc/keepalived/keepalived.conf"
	ConntrackdPath  = "/etc/conntrackd/conntrackd.conf"
	RunDir          = "/run/nat-pair"
	SyncPort        = 3780
	activePriority  = 150
	standbyPriority = 100
	// keepalived's timers (keepalived.conf), in seconds: an advert every AdvertInterval;
	// the health check every HealthInterval, given HealthTimeout to answer, failed
	// after HealthFall failures in a row.
	AdvertInterval = 1
	HealthInterval = 1
	HealthTimeout  = 2
	HealthFall     = 2
	// CheckInterval is how often, in seconds, the active member checks that the NAT's
	// identity is its own (pair/nat-pair-identity.sh).
	CheckInterval = 10
)

// memberFiles lists the files a member installs, in the order the user data writes them: the
// package installer first (it runs before the others are written).
func memberFiles(m Boot) []userdata.File {
	file := func(path, mode, content string) userdata.File {
		return userdata.File{Path: path, Mode: mode, Content: content, Marker: heredocMarker(path)}
	}
	return []userdata.File{
		file(InstallPath, "0755", InstallScript),
		file(compute.NatScriptPath, "0755", compute.NatBootScript),
		file(SetupPath, "0755", SetupScript),
		file(NotifyPath, "0755", NotifyScript),
		file(IdentityPath, "0755", IdentityScript),
		file(HealthPath, "0755", HealthScript),
		file(EnvPath, "0644", memberEnv(m)),
		file(KeepalivedPath, "0644", renderPairTemplate(keepalivedTemplate, m)),
		file(ConntrackdPath, "0644", renderPairTemplate(conntrackdTemplate, m)),
		file(compute.NatUnitPath, "0644", setupUnit),
		file("/etc/systemd/system/conntrackd.service.d/nat-pair.conf", "0644", conntrackdDropIn),
		file("/etc/systemd/system/keepalived.service.d/nat-pair.conf", "0644", keepalivedDropIn),
	}
}

// memberEnv is the settings file every member script reads.
func memberEnv(m Boot) string {
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
		strings.Join(m.RouteTableIDs, " "), RunDir, ConntrackdPath, SyncPort,
		strings.Join(m.SSHAllowedCidrs, " "), m.PairName, m.MemberName, map[bool]int{true: 1}[m.StartsActive], CheckInterval, compute.MetricsNamespace)
}

func renderPairTemplate(text string, m Boot) string {
	priority := standbyPriority
	if m.StartsActive {
		priority = activePriority
	}
	var out bytes.Buffer
	err := template.Must(template.New("").Option("missingkey=error").Parse(text)).Execute(&out, map[string]any{
		"SelfIP": m.SelfIP, "PeerIP": m.PeerIP, "VirtualRouterID": m.VirtualRouterID, "Priority": priority,
		"AdvertInterval": AdvertInterval, "HealthInterval": HealthInterval, "HealthTimeout": HealthTimeout, "HealthFall": HealthFall,
		"RunDir": RunDir, "HealthPath": HealthPath, "NotifyPath": NotifyPath,
		"SyncPort": SyncPort,
	})
	if err != nil {
		panic(err) // the templates are embedded: a failure is a bug caught by the tests
	}
	return out.String()
}

// systemd: the boot script first (ruleset and keepalived's interface file), then conntrackd,
// then keepalived, whose first notify needs conntrackd's socket.
const (
	setupUnit = `[Unit]
Description=NAT pair member: IPv4 forwarding, SNAT to the floating address and forward filter
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + SetupPath + `

[Install]
WantedBy=multi-user.target
`
	conntrackdDropIn = `[Unit]
After=` + compute.NatUnitName + `
Requires=` + compute.NatUnitName + `

[Service]
# A lock left by an unclean exit would keep conntrackd (and keepalived, which needs it) down.
ExecStartPre=-/bin/rm -f ` + RunDir + `/conntrackd.lock
`
	keepalivedDropIn = `[Unit]
After=` + compute.NatUnitName + ` conntrackd.service
Requires=` + compute.NatUnitName + ` conntrackd.service
`
)

// needs are the commands a member runs and the AL2023 packages that bring them.
const needs = "aws:awscli-2 nft:nftables keepalived:keepalived conntrackd:conntrack-tools"

// UserData renders a member's user data: the package installer, run at once for what the
// image lacks (through the member's own Elastic IP), every other file, then the units in order.
func UserData(m Boot) string {
	return memberScript(m).Render()
}

func memberScript(m Boot) userdata.Script {
	s := userdata.Script{Title: "NAT pair member boot configuration"}
	for i, f := range memberFiles(m) {
		step := userdata.Step{File: &f}
		if i == 0 {
			step.Run = InstallPath + " " + needs
		}
		s.Steps = append(s.Steps, step)
	}
	s.Steps = append(s.Steps, userdata.Step{Run: "systemctl daemon-reload\nsystemctl enable " + compute.NatUnitName + " conntrackd.service keepalived.service\n" +
		"systemctl start " + compute.NatUnitName + "\nsystemctl restart conntrackd.service\nsystemctl restart keepalived.service"})
	// Each member publishes its own table and allowance counters, active or standby.
	s.Steps = append(s.Steps, compute.NatMetricsSteps()...)
	return s
}

// heredocMarker is the heredoc delimiter of the file at path, unique per path:
// /etc/keepalived/keepalived.conf -> NAT_PAIR_ETC_KEEPALIVED_KEEPALIVED_CONF.
func heredocMarker(path string) string {
	return "NAT_PAIR" + strings.ToUpper(strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(path))
}
