package natpair

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/userdata"
)

func testMember(startsActive bool) Boot {
	return Boot{
		PairName: "nat-instance", MemberName: "nat-instance-a", Region: "eu-west-3", VpcCidr: "10.40.0.0/16", FloatingIP: "10.40.1.100", SubnetPrefixLen: 24,
		SelfIP: "10.40.1.101", PeerIP: "10.40.1.102", SelfENI: "eni-0a", AllocationID: "eipalloc-0f",
		RouteTableIDs: []string{"rtb-1", "rtb-2"}, StartsActive: startsActive, VirtualRouterID: 1,
	}
}

// Every file comes back out of the user data byte for byte, by its path, and the whole user
// data is valid bash.
func TestNatPairUserDataWritesEveryFile(t *testing.T) {
	m := testMember(true)
	ud := UserData(m)
	read := readUserData(t, ud)
	for _, f := range memberFiles(m) {
		got, ok := read.File(f.Path)
		if !ok || got.Content != f.Content || got.Mode != f.Mode {
			t.Errorf("%s: read back as %+v (found %v), want the file's bytes with mode %s", f.Path, got, ok, f.Mode)
		}
	}
	if out, err := exec.Command("bash", "-n", "-c", ud).CombinedOutput(); err != nil {
		t.Fatalf("user data is not valid bash: %v\n%s", err, out)
	}
	if got, _ := read.File(compute.NatScriptPath); got.Content != compute.NatBootScript {
		t.Error("the single NAT's boot script is not installed unchanged")
	}
	// The installer runs once it is written, before any other file (a package must not
	// overwrite a configuration), for every command a member runs.
	install := InstallPath + " aws:awscli-2 nft:nftables keepalived:keepalived conntrackd:conntrack-tools"
	if first := read.Steps[0]; first.File == nil || first.File.Path != InstallPath || first.Run != install {
		t.Errorf("user data starts with %+v, want to write %s and run %q", first, InstallPath, install)
	}
	if !strings.Contains(ud, "\nsystemctl enable nat-instance.service conntrackd.service keepalived.service\n") {
		t.Error("user data does not enable the units")
	}
}

// The priority decides only who starts active: both members are BACKUP with nopreempt.
func TestNatPairKeepalivedConfig(t *testing.T) {
	active := fileContent(t, UserData(testMember(true)), KeepalivedPath)
	standby := fileContent(t, UserData(testMember(false)), KeepalivedPath)
	for _, want := range []string{"state BACKUP\n", "\tnopreempt\n", "unicast_src_ip 10.40.1.101\n", "\t\t10.40.1.102\n",
		"virtual_router_id 1\n", "enable_script_security", "script_user root", `script "/usr/local/sbin/nat-pair-health"`,
		"include /run/nat-pair/keepalived-interface.conf", "vrrp_higher_prio_send_advert true",
		"vrrp_notify_fifo /run/nat-pair/notify.fifo\n", `vrrp_notify_fifo_script "/usr/local/sbin/nat-pair-notify"`,
		"fifo_write_vrrp_states_on_reload\n"} {
		if !strings.Contains(active, want) || !strings.Contains(standby, want) {
			t.Errorf("keepalived.conf lacks %q", want)
		}
	}
	// Notify scripts may run out of order: every transition goes through the FIFO, in order.
	if strings.Contains(active, "\tnotify") {
		t.Errorf("keepalived.conf runs a notify script:\n%s", active)
	}
	if !strings.Contains(active, "priority 150\n") || !strings.Contains(standby, "priority 100\n") {
		t.Errorf("priorities: active\n%s\nstandby\n%s", active, standby)
	}
	conf := fileContent(t, UserData(testMember(true)), ConntrackdPath)
	for _, want := range []string{"Mode FTFW", "IPv4_address 10.40.1.101\n", "IPv4_Destination_Address 10.40.1.102\n",
		"Port 3780\n", "LockFile /run/nat-pair/conntrackd.lock", "Path /run/nat-pair/conntrackd.ctl"} {
		if !strings.Contains(conf, want) {
			t.Errorf("conntrackd.conf lacks %q", want)
		}
	}
}

// A member of a NAT serving six zones' route tables (the most a region has) still packs within
// EC2's 16 KB, and unpacks to exactly what was packed.
func TestPairUserDataPacksWithinEC2sLimit(t *testing.T) {
	m := Boot{Region: "ap-northeast-2", VpcCidr: "10.40.0.0/16", FloatingIP: "10.40.1.100", SubnetPrefixLen: 24,
		SelfIP: "10.40.1.101", PeerIP: "10.40.1.102", SelfENI: "eni-0123456789abcdef0", AllocationID: "eipalloc-0123456789abcdef0",
		StartsActive: true, VirtualRouterID: 1}
	for i := range 6 {
		m.RouteTableIDs = append(m.RouteTableIDs, fmt.Sprintf("rtb-0123456789abcdef%d", i))
	}
	text := UserData(m)
	if len(text) <= compute.MaxUserData {
		t.Logf("member user data is %d bytes, within the limit even unpacked", len(text))
	}
	packed, err := compute.GzipUserData(text)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := userdata.FirstBoot("", packed); err != nil || back != text {
		t.Fatalf("unpacked user data differs (err %v)", err)
	}
	if again, _ := compute.GzipUserData(text); again != packed {
		t.Error("the same user data packed twice differs: every preview would replace the members")
	}
}

// Both members' user data read back as the scripts they were rendered from, the metrics timer
// included.
func TestMemberUserDataReadsBackAsRendered(t *testing.T) {
	for _, active := range []bool{true, false} {
		script := memberScript(testMember(active))
		text := script.Render()
		if read := readUserData(t, text); !reflect.DeepEqual(read, script) {
			t.Errorf("member (active %v) reads back as\n%+v\nrendered from\n%+v", active, read, script)
		}
		if !strings.Contains(text, compute.NatMetricsScript) {
			t.Errorf("member (active %v): user data lacks the metrics script", active)
		}
	}
}

// readUserData reads rendered user data back into its steps.
func readUserData(t *testing.T, text string) userdata.Script {
	t.Helper()
	s, err := userdata.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fileContent is what the rendered user data writes at path.
func fileContent(t *testing.T, text, path string) string {
	t.Helper()
	f, ok := readUserData(t, text).File(path)
	if !ok {
		t.Fatalf("the user data writes no %s", path)
	}
	return f.Content
}
