package natpair

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"nat-instance/compute"
)

// compute.PairMetrics is exactly what the pair's scripts publish, with the dimensions they give.
func TestPairMetricsAreWhatTheMembersPublish(t *testing.T) {
	published := map[string][]string{}
	dimensionNames := func(text string) (names []string) {
		for _, m := range regexp.MustCompile(`([A-Za-z]+)=\$`).FindAllStringSubmatch(text, -1) {
			names = append(names, m[1])
		}
		return names
	}
	// nat-pair-identity: --metric-name NAME --dimensions "D=$V,...".
	for _, m := range regexp.MustCompile(`--metric-name ([A-Za-z]+) \\?\s*--dimensions "([^"]+)"`).FindAllStringSubmatch(IdentityScript, -1) {
		published[m[1]] = dimensionNames(m[2])
	}
	// nat-pair-notify: put_metric NAME VALUE "DIMENSIONS", where $pair is the pair's dimension.
	pair := regexp.MustCompile(`local pair="([^"]+)"`).FindStringSubmatch(NotifyScript)
	for _, m := range regexp.MustCompile(`put_metric ([A-Za-z]+) \S+ "([^"]+)"`).FindAllStringSubmatch(NotifyScript, -1) {
		if pair == nil {
			t.Fatal("nat-pair-notify no longer sets its pair dimension in announce")
		}
		published[m[1]] = dimensionNames(strings.ReplaceAll(m[2], "$pair", pair[1]))
	}
	if len(published) != len(compute.PairMetrics) {
		t.Errorf("the scripts publish %v, compute.PairMetrics lists %d", published, len(compute.PairMetrics))
	}
	for _, m := range compute.PairMetrics {
		if m.Namespace != compute.MetricsNamespace || !slices.Equal(published[m.Name], m.Dimensions) {
			t.Errorf("%s is listed in %s by %v; the scripts publish it by %v", m.Name, m.Namespace, m.Dimensions, published[m.Name])
		}
	}
}
