package compute

import (
	"reflect"
	"strings"
	"testing"

	"nat-instance/userdata"
)

// Every kind of instance's user data reads back as the script it was rendered from: the single
// NAT (with its metrics timer) and both pair members. What the twin and the tests read is what
// the instance is given.
func TestUserDataReadsBackAsRendered(t *testing.T) {
	for name, script := range map[string]userdata.Script{
		"single NAT":     natScript("10.40.0.0/16"),
		"active member":  natPairScript(testMember(true)),
		"standby member": natPairScript(testMember(false)),
	} {
		read, err := userdata.Parse(script.Render())
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if !reflect.DeepEqual(read, script) {
			t.Errorf("%s: read back as\n%+v\nrendered from\n%+v", name, read, script)
		}
		if len(script.Files()) < 5 || !strings.Contains(script.Render(), NatMetricsScript) {
			t.Errorf("%s: %d files, without the metrics script", name, len(script.Files()))
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
