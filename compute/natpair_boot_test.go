package compute

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testMember(startsActive bool) NatPairMember {
	return NatPairMember{
		Region: "eu-west-3", VpcCidr: "10.40.0.0/16", FloatingIP: "10.40.1.100", SubnetPrefixLen: 24,
		SelfIP: "10.40.1.101", PeerIP: "10.40.1.102", SelfENI: "eni-0a", AllocationID: "eipalloc-0f",
		RouteTableIDs: []string{"rtb-1", "rtb-2"}, StartsActive: startsActive, VirtualRouterID: 1,
	}
}

// Every file comes back out of the user data byte for byte, by its path, and the whole user
// data is valid bash.
func TestNatPairUserDataWritesEveryFile(t *testing.T) {
	m := testMember(true)
	ud := NatPairUserData(m)
	for _, f := range NatPairFiles(m) {
		got, ok := HeredocFile(ud, f.Path)
		if !ok || got != f.Content {
			t.Errorf("%s: heredoc gives %q (found %v), want the file's bytes", f.Path, got, ok)
		}
		if !strings.Contains(ud, "\nchmod "+f.Mode+" "+f.Path+"\n") {
			t.Errorf("%s: no chmod %s", f.Path, f.Mode)
		}
	}
	if out, err := exec.Command("bash", "-n", "-c", ud).CombinedOutput(); err != nil {
		t.Fatalf("user data is not valid bash: %v\n%s", err, out)
	}
	if got, _ := HeredocFile(ud, NatScriptPath); got != NatBootScript {
		t.Error("the single NAT's boot script is not installed unchanged")
	}
	for _, want := range []string{"dnf -y -q install nftables keepalived conntrack-tools", "swapon /swapfile-nat-instance",
		"for attempt in 1 2 3 4 5 6", "systemctl enable nat-instance.service conntrackd.service keepalived.service"} {
		if !strings.Contains(ud, want) {
			t.Errorf("user data lacks %q", want)
		}
	}
}

// The priority decides only who starts active: both members are BACKUP with nopreempt.
func TestNatPairKeepalivedConfig(t *testing.T) {
	active, _ := HeredocFile(NatPairUserData(testMember(true)), NatPairKeepalivedPath)
	standby, _ := HeredocFile(NatPairUserData(testMember(false)), NatPairKeepalivedPath)
	for _, want := range []string{"state BACKUP\n", "\tnopreempt\n", "unicast_src_ip 10.40.1.101\n", "\t\t10.40.1.102\n",
		"virtual_router_id 1\n", "enable_script_security", "script_user root", `script "/usr/local/sbin/nat-pair-health"`,
		`notify "/usr/local/sbin/nat-pair-notify"`, "include /run/nat-pair/keepalived-interface.conf",
		"vrrp_higher_prio_send_advert true", `notify_master_rx_lower_pri "/usr/local/sbin/nat-pair-notify INSTANCE nat MASTER_RX_LOWER_PRI"`} {
		if !strings.Contains(active, want) || !strings.Contains(standby, want) {
			t.Errorf("keepalived.conf lacks %q", want)
		}
	}
	if !strings.Contains(active, "priority 150\n") || !strings.Contains(standby, "priority 100\n") {
		t.Errorf("priorities: active\n%s\nstandby\n%s", active, standby)
	}
	conf, _ := HeredocFile(NatPairUserData(testMember(true)), NatPairConntrackdPath)
	for _, want := range []string{"Mode FTFW", "IPv4_address 10.40.1.101\n", "IPv4_Destination_Address 10.40.1.102\n",
		"Port 3780\n", "LockFile /run/nat-pair/conntrackd.lock", "Path /run/nat-pair/conntrackd.ctl"} {
		if !strings.Contains(conf, want) {
			t.Errorf("conntrackd.conf lacks %q", want)
		}
	}
}

// The notify script's takeover order, run against recording stand-ins of its commands:
// conntrackd's primary-backup steps first, then the local address, then the AWS calls (the
// address before the Elastic IP; the routes at the same time, in any order).
func TestNatPairNotifyOrder(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "calls")
	for _, tool := range []string{"aws", "conntrackd", "ip", "logger"} {
		stub := "#!/bin/bash\necho \"" + tool + " $*\" >>" + record + "\n"
		if tool == "ip" {
			stub += "[ \"$1\" = -4 ] && echo 'default via 10.40.1.1 dev ens5'\n"
		}
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := strings.ReplaceAll(natPairEnv(testMember(true)), "NAT_RUN_DIR="+NatPairRunDir, "NAT_RUN_DIR="+dir)
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		state string
		want  []string
	}{
		{"MASTER", []string{
			"conntrackd -C /etc/conntrackd/conntrackd.conf -c",
			"conntrackd -C /etc/conntrackd/conntrackd.conf -f",
			"conntrackd -C /etc/conntrackd/conntrackd.conf -R",
			"conntrackd -C /etc/conntrackd/conntrackd.conf -B",
			"ip addr replace 10.40.1.100/24 dev ens5",
			"aws --region eu-west-3 ec2 assign-private-ip-addresses --network-interface-id eni-0a --private-ip-addresses 10.40.1.100 --allow-reassignment",
			"aws --region eu-west-3 ec2 associate-address --allocation-id eipalloc-0f --network-interface-id eni-0a --private-ip-address 10.40.1.100 --allow-reassociation",
			"aws --region eu-west-3 ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-0a",
			"aws --region eu-west-3 ec2 replace-route --route-table-id rtb-2 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-0a",
		}},
		// As conntrack-tools' primary-backup.sh: shorten the kernel's timers; a backup also asks for a resync.
		{"BACKUP", []string{"ip addr del 10.40.1.100/24 dev ens5", "conntrackd -C /etc/conntrackd/conntrackd.conf -t",
			"conntrackd -C /etc/conntrackd/conntrackd.conf -n"}},
		{"FAULT", []string{"ip addr del 10.40.1.100/24 dev ens5", "conntrackd -C /etc/conntrackd/conntrackd.conf -t"}},
	} {
		os.Remove(record)
		cmd := exec.Command("bash", "-c", NatPairNotifyScript, "nat-pair-notify", "INSTANCE", "nat", tc.state, "150")
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "NAT_PAIR_ENV="+envFile)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.state, err, out)
		}
		data, _ := os.ReadFile(record)
		var calls []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if !strings.HasPrefix(line, "logger ") && !strings.HasPrefix(line, "ip -4 route") {
				calls = append(calls, line)
			}
		}
		if tc.state == "MASTER" && len(calls) == len(tc.want) {
			calls = inOrderOf(calls, tc.want, 5)
		}
		if strings.Join(calls, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s: calls\n%s\nwant\n%s", tc.state, strings.Join(calls, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// inOrderOf puts the calls from index from on in want's order when that keeps the assign call
// before the associate call: the order concurrent calls may come in.
func inOrderOf(calls, want []string, from int) []string {
	assign, associate := -1, -1
	for i, c := range calls {
		switch {
		case strings.Contains(c, " assign-private-ip-addresses "):
			assign = i
		case strings.Contains(c, " associate-address "):
			associate = i
		}
	}
	if assign > associate {
		return calls // the Elastic IP followed an address not yet there: keep the wrong order visible
	}
	rest := map[string]bool{}
	for _, c := range calls[from:] {
		rest[c] = true
	}
	out := append([]string(nil), calls[:from]...)
	for _, w := range want[from:] {
		if rest[w] {
			out = append(out, w)
			delete(rest, w)
		}
	}
	for c := range rest {
		out = append(out, c)
	}
	return out
}

// A member of a NAT serving six zones' route tables (the most a region has) still packs within
// EC2's 16 KB, and unpacks to exactly what was packed.
func TestPairUserDataPacksWithinEC2sLimit(t *testing.T) {
	m := NatPairMember{Region: "ap-northeast-2", VpcCidr: "10.40.0.0/16", FloatingIP: "10.40.1.100", SubnetPrefixLen: 24,
		SelfIP: "10.40.1.101", PeerIP: "10.40.1.102", SelfENI: "eni-0123456789abcdef0", AllocationID: "eipalloc-0123456789abcdef0",
		StartsActive: true, VirtualRouterID: 1}
	for i := range 6 {
		m.RouteTableIDs = append(m.RouteTableIDs, fmt.Sprintf("rtb-0123456789abcdef%d", i))
	}
	text := NatPairUserData(m)
	if len(text) <= MaxUserData {
		t.Logf("member user data is %d bytes, within the limit even unpacked", len(text))
	}
	packed, err := GzipUserData(text)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := UnpackUserData(packed); err != nil || back != text {
		t.Fatalf("unpacked user data differs (err %v)", err)
	}
	if again, _ := GzipUserData(text); again != packed {
		t.Error("the same user data packed twice differs: every preview would replace the members")
	}
}

// When EC2 refuses the address (e.g. while it is still the old NAT's primary address, as pairs
// are turned on in a deployed stack), the active member keeps claiming it after the notify
// script's own retries, and moves the Elastic IP once the address is its own.
func TestNatPairNotifyKeepsClaimingWhileActive(t *testing.T) {
	dir := t.TempDir()
	record, refusals := filepath.Join(dir, "calls"), filepath.Join(dir, "refusals")
	stubs := map[string]string{
		// assign-private-ip-addresses is refused 7 times: more than one round of retries.
		"aws": `echo "aws $*" >>` + record + `
if [ "$4" = assign-private-ip-addresses ]; then
	n=$(cat ` + refusals + ` 2>/dev/null || echo 0)
	if [ "$n" -lt 7 ]; then echo $((n + 1)) >` + refusals + `; echo "InvalidParameterValue: primary address" >&2; exit 1; fi
fi`,
		"ip": `[ "$2" = route ] && echo 'default via 10.40.1.1 dev ens5'
[ "$2" = addr ] && [ "$3" = show ] && echo '    inet 10.40.1.100/24 scope global secondary ens5'
exit 0`,
		"conntrackd": "exit 0", "logger": "exit 0", "sleep": "exit 0",
	}
	for tool, body := range stubs {
		if err := os.WriteFile(filepath.Join(dir, tool), []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := strings.ReplaceAll(natPairEnv(testMember(true)), "NAT_RUN_DIR="+NatPairRunDir, "NAT_RUN_DIR="+dir)
	envFile := filepath.Join(dir, "env")
	if err := os.WriteFile(envFile, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", NatPairNotifyScript, "nat-pair-notify", "INSTANCE", "nat", "MASTER", "150")
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "NAT_PAIR_ENV="+envFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "retrying every 10 s while active") {
		t.Errorf("the notify script did not say it keeps claiming:\n%s", out)
	}
	// The claim goes on in the background: wait (bounded) for the Elastic IP to follow.
	deadline := time.Now().Add(10 * time.Second)
	for {
		calls, _ := os.ReadFile(record)
		if strings.Contains(string(calls), "associate-address") {
			if n := strings.Count(string(calls), "assign-private-ip-addresses"); n != 8 {
				t.Errorf("%d address claims, want 7 refused and 1 accepted", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Elastic IP never followed; calls:\n%s", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
