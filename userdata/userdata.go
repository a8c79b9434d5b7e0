// Package userdata describes what an instance is given at first boot (files to write, commands
// to run), renders it as the bash script cloud-init runs, and reads a rendered script back. The
// program renders with it; the network twin and the tests read with it.
package userdata

import (
	"fmt"
	"slices"
	"strings"
)

// File is one file the user data writes. Path is absolute and written unquoted: letters, digits
// and "/._-" only.
type File struct {
	Path string
	// Mode is the octal mode set once the file is written, its directory made first. Empty: the
	// file goes into a directory that exists, with the mode umask gives (0644 under cloud-init).
	Mode    string
	Content string
	// Marker is the heredoc delimiter that carries Content, for whoever reads the user data.
	// The renderer lengthens it while a line of Content equals it. Empty: EOF.
	Marker string
}

// Step is a file to write, then shell lines to run once it is written; either may be empty,
// not both. Run holds no blank line: a blank line separates steps.
type Step struct {
	File *File
	Run  string
}

// Script is a whole user data: a title saying what the instance is, and its steps in order.
type Script struct {
	Title string
	Steps []Step
}

// titleSuffix ends the script's title comment.
const titleSuffix = ", rendered by the nat-instance Pulumi program."

// Render writes the script cloud-init runs: a header that stops at the first failing command,
// then each step after a blank line. Files are written by quoted heredocs, so the shell expands
// nothing in them.
func (s Script) Render() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# " + s.Title + titleSuffix + "\nset -euo pipefail\n")
	for _, step := range s.Steps {
		b.WriteString("\n")
		if step.File != nil {
			renderFile(&b, *step.File)
		}
		if step.Run != "" {
			b.WriteString(step.Run + "\n")
		}
	}
	return b.String()
}

// renderFile writes f by a heredoc. A heredoc always ends its text with a newline: content
// without one is given one and written through `head -c -1`, which drops it again.
func renderFile(b *strings.Builder, f File) {
	body, writer := f.Content, "cat"
	if !strings.HasSuffix(body, "\n") {
		body, writer = body+"\n", "head -c -1"
	}
	marker := uniqueMarker(f.Marker, body)
	if f.Mode != "" {
		fmt.Fprintf(b, "install -d -m 0755 \"$(dirname %s)\"\n", f.Path)
	}
	fmt.Fprintf(b, "%s >%s <<'%s'\n%s%s\n", writer, f.Path, marker, body, marker)
	if f.Mode != "" {
		fmt.Fprintf(b, "chmod %s %s\n", f.Mode, f.Path)
	}
}

// uniqueMarker is marker (EOF when empty), lengthened with "_" until no line of body equals it:
// such a line would end the heredoc early.
func uniqueMarker(marker, body string) string {
	if marker == "" {
		marker = "EOF"
	}
	lines := strings.Split(body, "\n")
	for slices.Contains(lines, marker) {
		marker += "_"
	}
	return marker
}

// Files lists the files the script writes, in order.
func (s Script) Files() []File {
	var out []File
	for _, step := range s.Steps {
		if step.File != nil {
			out = append(out, *step.File)
		}
	}
	return out
}

// File returns the file the script writes at path.
func (s Script) File(path string) (File, bool) {
	for _, f := range s.Files() {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}
