package userdata

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// awkwardFiles are contents a heredoc gets wrong unless the renderer takes care: lines equal to
// the marker, no newline at the end, text the shell would expand, nothing at all.
func awkwardFiles(dir string) []File {
	return []File{
		{Path: dir + "/marker-lines", Content: "a\nEOF\nEOF_\nb\n"},
		{Path: dir + "/own-marker", Content: "NAT_INSTANCE_SCRIPT\nx\n", Marker: "NAT_INSTANCE_SCRIPT"},
		{Path: dir + "/no-newline/at-the-end", Mode: "0600", Content: "first\nEOF"},
		{Path: dir + "/shell/syntax.sh", Mode: "0755",
			Content: "echo $HOME `id` $(date) ${x:-y} \\\n'single' \"double\" \\n\n\ttab <<'EOF'\n"},
		{Path: dir + "/empty", Content: ""},
		{Path: dir + "/newline-only", Mode: "0640", Content: "\n"},
		{Path: dir + "/blank-lines", Content: "\n\nEOF \n \n"},
	}
}

func awkwardScript(dir string) Script {
	s := Script{Title: "awkward files"}
	for _, f := range awkwardFiles(dir) {
		s.Steps = append(s.Steps, Step{File: &f})
	}
	s.Steps[2].Run = "true\ntrue"
	s.Steps = append(s.Steps, Step{Run: "echo done >/dev/null"})
	return s
}

// Each awkward file reads back byte for byte with its path and mode, and the run steps as
// written; only markers may have grown.
func TestAwkwardFilesReadBackByteForByte(t *testing.T) {
	want := awkwardScript("/srv")
	read, err := Parse(want.Render())
	if err != nil {
		t.Fatalf("%v\n%s", err, want.Render())
	}
	for i, f := range read.Files() {
		f.Marker = want.Files()[i].Marker
		if f != want.Files()[i] {
			t.Errorf("read back as %+v, want %+v", f, want.Files()[i])
		}
	}
	for _, s := range [][]Step{read.Steps, want.Steps} {
		for i := range s {
			s[i].File = nil
		}
	}
	if read.Title != want.Title || !reflect.DeepEqual(read.Steps, want.Steps) {
		t.Errorf("read back as %+v, want %+v", read, want)
	}
}

// bash, running the rendered script, writes each file byte for byte, with its mode (0644 from
// umask 022 where none is set).
func TestBashWritesAwkwardFilesByteForByte(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "user-data")
	if err := os.WriteFile(script, []byte(awkwardScript(dir).Render()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", `umask 022 && exec bash "$1"`, "sh", script).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range awkwardFiles(dir) {
		got, err := os.ReadFile(f.Path)
		if err != nil || string(got) != f.Content {
			t.Errorf("%s: bash wrote %q (%v), want %q", f.Path, got, err, f.Content)
			continue
		}
		want := uint64(0o644)
		if f.Mode != "" {
			want, _ = strconv.ParseUint(f.Mode, 8, 32)
		}
		if info, err := os.Stat(f.Path); err != nil || uint64(info.Mode().Perm()) != want {
			t.Errorf("%s: mode %v (%v), want %o", f.Path, info.Mode().Perm(), err, want)
		}
	}
}

// What Render never writes is refused, with where and why.
func TestParseRefusesWhatRenderDoesNotWrite(t *testing.T) {
	header := "#!/bin/bash\n# a test" + titleSuffix + "\nset -euo pipefail\n"
	for _, c := range []struct{ name, text, want string }{
		{"no header", "#!/bin/bash\necho hi\n", "no header"},
		{"a title over two lines", "#!/bin/bash\n# a\n# b" + titleSuffix + "\nset -euo pipefail\n", "no header"},
		{"no newline at the end", header + "\necho hi", "does not end with a newline"},
		{"no blank line before a step", header + "echo hi\n", `line 4: "echo hi" where a blank line`},
		{"an empty step", header + "\necho hi\n\n\n", "line 7: an empty step"},
		{"a heredoc not closed", header + "\ncat >/a <<'EOF'\nx\n", "/a: the heredoc EOF is not closed"},
		{"a directory made for nothing", header + "\ninstall -d -m 0755 \"$(dirname /a)\"\necho hi\n", "the directory of /a is made, but no heredoc writes it"},
		{"a directory made for another file", header + "\ninstall -d -m 0755 \"$(dirname /a)\"\ncat >/b <<'EOF'\nEOF\nchmod 0644 /b\n", "the directory of /a is made"},
		{"no mode after the directory", header + "\ninstall -d -m 0755 \"$(dirname /a)\"\ncat >/a <<'EOF'\nx\nEOF\n", "line 9: /a is written into a directory made for it, but its mode is not set"},
		{"head -c -1 of nothing", header + "\nhead -c -1 >/a <<'EOF'\nEOF\n", "head -c -1 of an empty heredoc"},
	} {
		if _, err := Parse(c.text); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// An instance runs its userDataBase64 when set (gzip is read in compute's packing test), else
// its userData; one without either runs nothing.
func TestReadTakesWhatCloudInitRuns(t *testing.T) {
	text := Script{Title: "t", Steps: []Step{{Run: "echo base64"}}}.Render()
	s, err := Read("#!/bin/bash\nnot this\n", base64.StdEncoding.EncodeToString([]byte(text)))
	if err != nil || len(s.Steps) != 1 || s.Steps[0].Run != "echo base64" {
		t.Errorf("read %+v (%v), want the base64 script", s, err)
	}
	if s, err := Read(text, ""); err != nil || s.Title != "t" {
		t.Errorf("read %+v (%v), want the userData script", s, err)
	}
	if s, err := Read("", ""); err != nil || s.Title != "" || s.Steps != nil {
		t.Errorf("no user data read as %+v (%v)", s, err)
	}
	if _, err := Read("", "not base64!"); err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Errorf("bad base64: %v", err)
	}
}
