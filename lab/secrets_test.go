package lab

import (
	"fmt"
	"strings"
	"testing"

	"nat-instance/compute"
	"nat-instance/mockgraph"
	"nat-instance/userdata"
)

// passwordWords are how a password, or a login that needs none, would show in an input.
var passwordWords = []string{"passwd", "password", "permitrootlogin", "qwe123"}

// passwordMentions lists the inputs of g, nested values included, that mention a password word.
// Gzipped user data (a NAT pair member's) is read as cloud-init unpacks it; unpacked counts it.
func passwordMentions(t *testing.T, g *mockgraph.Graph) (mentions []string, unpacked int) {
	t.Helper()
	for _, r := range g.Resources {
		for key, v := range r.Inputs {
			texts := stringsIn(v)
			if packed, _ := v.(string); key == "userDataBase64" && packed != "" {
				text, err := userdata.FirstBoot("", packed)
				if err != nil {
					t.Fatalf("%s %s: %v", r.Type, r.Name, err)
				}
				texts, unpacked = []string{text}, unpacked+1
			}
			for _, text := range texts {
				for _, word := range passwordWords {
					if strings.Contains(strings.ToLower(text), word) {
						mentions = append(mentions, fmt.Sprintf("%s %s input %s mentions %q", r.Type, r.Name, key, word))
					}
				}
			}
		}
	}
	return mentions, unpacked
}

// stringsIn is every string in a recorded input: the value itself, or those in its lists and maps.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

func TestNoPasswordsAnywhere(t *testing.T) {
	for name, cfg := range securityConfigs {
		t.Run(name, func(t *testing.T) {
			mentions, unpacked := passwordMentions(t, record(t, cfg))
			for _, m := range mentions {
				t.Error(m)
			}
			if name == "pairs" && unpacked == 0 {
				t.Error("no gzipped user data read in a stack with pairs: the members' files went unscanned")
			}
		})
	}
}

// The scan reads what an instance runs, not the base64 the graph holds.
func TestPasswordScanReadsGzippedUserData(t *testing.T) {
	packed, err := compute.GzipUserData("#!/bin/bash\necho 'root:qwe123' | chpasswd\n")
	if err != nil {
		t.Fatal(err)
	}
	g := &mockgraph.Graph{Resources: []mockgraph.Resource{
		{Type: tInstance, Name: "nat-instance-a", Inputs: map[string]any{"userDataBase64": packed}}}}
	if mentions, _ := passwordMentions(t, g); len(mentions) == 0 {
		t.Error("a password in gzipped user data went unseen")
	}
}
