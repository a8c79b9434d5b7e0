package natpair

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installBox runs nat-pair-install with only its stand-ins on PATH: commands present in the image
// are stand-ins named after them; dnf fails as dnfFails says (one line per call: "no-match",
// "transient", or "ok", which then provides the packages' commands).
func installBox(t *testing.T, present []string, dnfFails []string) (*scriptBox, error) {
	t.Helper()
	stubs := map[string]string{
		"dd": "exit 0", "chmod": "exit 0", "mkswap": "exit 0", "swapon": "exit 0", "swapoff": "exit 0", "rm": "exit 0",
		"sleep": "exit 0", "sort": `exec /usr/bin/sort "$@"`, "dirname": `exec /usr/bin/dirname "$@"`,
		"dnf": `dir=$(dirname "$0")
n=$(/usr/bin/grep -c '^dnf ' "$dir/calls")
outcome=$(/usr/bin/sed -n "${n}p" "$dir/dnf-outcomes")
case $outcome in
no-match) echo "No match for argument: keepalived"; echo "Error: Unable to find a match: keepalived"; exit 1 ;;
transient) echo "Curl error (28): Timeout was reached"; exit 1 ;;
esac
for cmd in aws nft keepalived conntrackd; do printf '#!/bin/bash\n' >"$dir/$cmd"; /usr/bin/chmod 0755 "$dir/$cmd"; done`,
	}
	for _, cmd := range present {
		stubs[cmd] = "exit 0"
	}
	b := newScriptBox(t, testMember(true), stubs)
	var outcomes strings.Builder
	for _, o := range dnfFails {
		outcomes.WriteString(o + "\n")
	}
	if err := os.WriteFile(filepath.Join(b.dir, "dnf-outcomes"), []byte(outcomes.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.record, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", InstallScript, "nat-pair-install",
		"aws:awscli-2", "nft:nftables", "keepalived:keepalived", "conntrackd:conntrack-tools")
	cmd.Env = append(os.Environ(), "PATH="+b.dir)
	out, err := cmd.CombinedOutput()
	t.Logf("nat-pair-install:\n%s", out)
	return b, err
}

// dnfCalls lists the dnf calls made, without the recording's name.
func dnfCalls(b *scriptBox) []string {
	var out []string
	for _, c := range b.calls() {
		if strings.HasPrefix(c, "dnf ") {
			out = append(out, c)
		}
	}
	return out
}

// What the installer decides, with stand-ins for dnf and the swap tools (the twin cannot run dnf).
func TestNatPairInstall(t *testing.T) {
	all := []string{"aws", "nft", "keepalived", "conntrackd"}
	for _, tc := range []struct {
		name     string
		present  []string
		outcomes []string
		fails    bool
		want     []string // dnf calls
		swap     bool
	}{
		{name: "an image with every command installs nothing", present: all},
		{name: "the standard image lacks keepalived and conntrackd", present: []string{"aws", "nft"}, outcomes: []string{"ok"},
			want: []string{"dnf -y -q install conntrack-tools keepalived"}, swap: true},
		{name: "the minimal image lacks the AWS CLI and nft too", outcomes: []string{"ok"},
			want: []string{"dnf -y -q install awscli-2 conntrack-tools keepalived nftables"}, swap: true},
		{name: "a pinned image's release lacks keepalived: from the latest release", present: []string{"aws", "nft"},
			outcomes: []string{"no-match", "ok"},
			want:     []string{"dnf -y -q install conntrack-tools keepalived", "dnf -y -q --releasever=latest install conntrack-tools keepalived"}, swap: true},
		{name: "a network error is retried", present: []string{"aws", "nft"}, outcomes: []string{"transient", "transient", "ok"},
			want: []string{"dnf -y -q install conntrack-tools keepalived", "dnf -y -q install conntrack-tools keepalived",
				"dnf -y -q install conntrack-tools keepalived"}, swap: true},
		{name: "three failures end the boot", present: []string{"aws", "nft"}, outcomes: []string{"transient", "transient", "transient"},
			fails: true, want: []string{"dnf -y -q install conntrack-tools keepalived", "dnf -y -q install conntrack-tools keepalived",
				"dnf -y -q install conntrack-tools keepalived"}, swap: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := installBox(t, tc.present, tc.outcomes)
			if (err != nil) != tc.fails {
				t.Errorf("exit error %v, want failure %v", err, tc.fails)
			}
			if got := dnfCalls(b); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("dnf calls\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tc.want, "\n "))
			}
			// dnf gets swap while it runs, and the swap goes after.
			if on, off := b.count("swapon "), b.count("swapoff "); (on == 1 && off == 1) != tc.swap {
				t.Errorf("swapon %d, swapoff %d times; want once each: %v", on, off, tc.swap)
			}
		})
	}
}
