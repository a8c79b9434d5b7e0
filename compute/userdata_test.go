package compute

import (
	"reflect"
	"strings"
	"testing"

	"nat-instance/userdata"
)

// The single NAT's user data reads back as the script it was rendered from, metrics timer
// included (natpair checks its members' the same way). What the twin and the tests read is what
// the instance is given.
func TestUserDataReadsBackAsRendered(t *testing.T) {
	script := natScript("10.40.0.0/16")
	if read, err := userdata.Parse(script.Render()); err != nil || !reflect.DeepEqual(read, script) {
		t.Errorf("read back as\n%+v (%v)\nrendered from\n%+v", read, err, script)
	}
	if len(script.Files()) < 5 || !strings.Contains(script.Render(), NatMetricsScript) {
		t.Errorf("%d files, without the metrics script", len(script.Files()))
	}
}
