package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The lines Render writes around a file's content.
var (
	makeDirLine = regexp.MustCompile(`^install -d -m 0755 "\$\(dirname (\S+)\)"$`)
	writeLine   = regexp.MustCompile(`^(cat|head -c -1) >(\S+) <<'([^']+)'$`)
	chmodLine   = regexp.MustCompile(`^chmod ([0-7]{3,4}) (\S+)$`)
)

// Read returns the script an instance runs at first boot, given its userData and userDataBase64
// inputs; an instance without user data runs an empty one.
func Read(userData, userDataBase64 string) (Script, error) {
	text, err := FirstBoot(userData, userDataBase64)
	if err != nil || text == "" {
		return Script{}, err
	}
	return Parse(text)
}

// Parse reads a script that Render wrote back into its title and steps.
func Parse(text string) (Script, error) {
	var s Script
	header, rest, ok := strings.Cut(text, "\nset -euo pipefail\n")
	title, prefixed := strings.CutPrefix(header, "#!/bin/bash\n# ")
	title, suffixed := strings.CutSuffix(title, titleSuffix)
	if !ok || !prefixed || !suffixed || strings.Contains(title, "\n") {
		return s, fmt.Errorf("userdata: no header (#!/bin/bash, a title ending %q, set -euo pipefail)", titleSuffix)
	}
	s.Title = title
	if rest == "" {
		return s, nil
	}
	lines, ok := strings.CutSuffix(text, "\n")
	if !ok {
		return s, fmt.Errorf("userdata: the script does not end with a newline")
	}
	// Past the header's three lines.
	r := &lineReader{lines: strings.Split(lines, "\n"), at: 3}
	for !r.done() {
		if line := r.next(); line != "" {
			return s, fmt.Errorf("userdata: line %d: %q where a blank line should start a step", r.at, line)
		}
		step, err := r.step()
		if err != nil {
			return s, err
		}
		s.Steps = append(s.Steps, step)
	}
	return s, nil
}

// lineReader walks the script's lines; at is the number of the line last read.
type lineReader struct {
	lines []string
	at    int
}

func (r *lineReader) done() bool { return r.at == len(r.lines) }

func (r *lineReader) next() string {
	r.at++
	return r.lines[r.at-1]
}

func (r *lineReader) peek() string {
	if r.done() {
		return ""
	}
	return r.lines[r.at]
}

// step reads one step: an optional file, then the lines to run up to the next blank line.
func (r *lineReader) step() (Step, error) {
	var step Step
	var err error
	if makeDirLine.MatchString(r.peek()) || writeLine.MatchString(r.peek()) {
		if step.File, err = r.file(); err != nil {
			return step, err
		}
	}
	var run []string
	for !r.done() && r.peek() != "" {
		run = append(run, r.next())
	}
	step.Run = strings.Join(run, "\n")
	if step.File == nil && step.Run == "" {
		return step, fmt.Errorf("userdata: line %d: an empty step", r.at+1)
	}
	return step, nil
}

// file reads a heredoc and, when its directory is made first, the mode set after it.
func (r *lineReader) file() (*File, error) {
	dir := makeDirLine.FindStringSubmatch(r.peek())
	if dir != nil {
		r.next()
	}
	write := writeLine.FindStringSubmatch(r.next())
	if write == nil || dir != nil && write[2] != dir[1] {
		return nil, fmt.Errorf("userdata: line %d: the directory of %s is made, but no heredoc writes it", r.at, dir[1])
	}
	f := &File{Path: write[2], Marker: write[3]}
	var content strings.Builder
	for line := ""; line != f.Marker; {
		if r.done() {
			return nil, fmt.Errorf("userdata: %s: the heredoc %s is not closed", f.Path, f.Marker)
		}
		if line = r.next(); line != f.Marker {
			content.WriteString(line + "\n")
		}
	}
	f.Content = content.String()
	if write[1] == "head -c -1" {
		if f.Content == "" {
			return nil, fmt.Errorf("userdata: %s: head -c -1 of an empty heredoc", f.Path)
		}
		f.Content = f.Content[:len(f.Content)-1]
	}
	if dir == nil {
		return f, nil
	}
	mode := chmodLine.FindStringSubmatch(r.peek())
	if mode == nil || mode[2] != f.Path {
		return nil, fmt.Errorf("userdata: line %d: %s is written into a directory made for it, but its mode is not set", r.at+1, f.Path)
	}
	r.next()
	f.Mode = mode[1]
	return f, nil
}

// FirstBoot is the text an instance runs at first boot, given its userData and userDataBase64
// inputs: the latter when set, unpacked as cloud-init does (base64, then gzip when it is gzip).
func FirstBoot(userData, userDataBase64 string) (string, error) {
	if userDataBase64 == "" {
		return userData, nil
	}
	raw, err := base64.StdEncoding.DecodeString(userDataBase64)
	if err != nil {
		return "", fmt.Errorf("userdata: userDataBase64 is not base64: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return string(raw), nil
	}
	unpacked, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("userdata: gzipped user data: %w", err)
	}
	text, err := io.ReadAll(unpacked)
	if err != nil {
		return "", fmt.Errorf("userdata: gzipped user data: %w", err)
	}
	return string(text), nil
}
