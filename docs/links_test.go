package docs

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// page is what a link can point at in one Markdown file: its links and its headings' anchors.
type page struct {
	links   []string
	anchors map[string]bool
}

// readPage parses a Markdown file with a CommonMark parser, so that links inside code blocks
// and code spans are not taken for links.
func readPage(t *testing.T, path string) page {
	t.Helper()
	source, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := goldmark.New().Parser().Parse(text.NewReader(source))
	p := page{anchors: map[string]bool{}}
	seen := map[string]int{}
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			p.anchors[anchor(string(n.Text(source)), seen)] = true
		case *ast.Link:
			p.links = append(p.links, string(n.Destination))
		case *ast.Image:
			p.links = append(p.links, string(n.Destination))
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// anchor is GitHub's id for a heading: lowercase, punctuation other than '-' and '_' removed,
// spaces turned into '-', and the n-th repeat of an id suffixed with "-n".
func anchor(heading string, seen map[string]int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	id := b.String()
	n := seen[id]
	seen[id] = n + 1
	if n > 0 {
		return fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

func TestAnchorFollowsGitHubRules(t *testing.T) {
	seen := map[string]int{}
	for _, c := range []struct{ heading, want string }{
		{"NAT pairs (natHighAvailability)", "nat-pairs-nathighavailability"},
		{"Safe by default: what changed from the lab", "safe-by-default-what-changed-from-the-lab"},
		{"The fast path (flowtable): not enabled", "the-fast-path-flowtable-not-enabled"},
		{"snake_case and hyphen-ated", "snake_case-and-hyphen-ated"},
		{"Outputs", "outputs"},
		{"Outputs", "outputs-1"},
		{"Outputs", "outputs-2"},
	} {
		if got := anchor(c.heading, seen); got != c.want {
			t.Errorf("anchor(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
}

// pages are the README and every page of this directory, by path relative to this directory.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no *.md pages in docs/")
	}
	return append([]string{filepath.Join("..", "README.md")}, docs...)
}

func TestEveryRelativeLinkAndAnchorResolves(t *testing.T) {
	parsed := map[string]page{}
	read := func(path string) page {
		path = filepath.Clean(path)
		if p, ok := parsed[path]; ok {
			return p
		}
		parsed[path] = readPage(t, path)
		return parsed[path]
	}
	checked := 0
	for _, from := range pages(t) {
		for _, link := range read(from).links {
			u, err := url.Parse(link)
			if err != nil {
				t.Errorf("%s: link %q does not parse: %v", from, link, err)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue // absolute: not ours to check offline
			}
			checked++
			target := from
			if u.Path != "" {
				target = filepath.Join(filepath.Dir(from), filepath.FromSlash(u.Path))
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s: link %q: %s does not exist", from, link, target)
					continue
				}
			}
			if u.Fragment == "" {
				continue
			}
			if !strings.HasSuffix(target, ".md") {
				t.Errorf("%s: link %q: an anchor into %s, which is not a Markdown page", from, link, target)
				continue
			}
			if !read(target).anchors[u.Fragment] {
				t.Errorf("%s: link %q: no heading in %s has the anchor #%s", from, link, target, u.Fragment)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the pages were not read")
	}
}

// The README's map of the docs names every page, so none is left where nobody finds it.
func TestReadmeLinksEveryPage(t *testing.T) {
	readme := filepath.Join("..", "README.md")
	linked := map[string]bool{}
	for _, link := range readPage(t, readme).links {
		if u, err := url.Parse(link); err == nil && u.Scheme == "" {
			linked[filepath.Clean(u.Path)] = true
		}
	}
	for _, p := range pages(t)[1:] {
		if !linked[filepath.Join("docs", p)] {
			t.Errorf("README.md does not link docs/%s", p)
		}
	}
}
