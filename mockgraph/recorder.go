package mockgraph

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Recorder is Run's mock cloud for a program that something else runs, such as a component
// provider's Construct under pulumi-go-provider's integration server: it records the same graph.
type Recorder struct{ m *mocks }

// NewRecorder returns a mock cloud that records into an empty graph.
func NewRecorder(opts Options) *Recorder {
	return &Recorder{m: newMocks(opts, nil)}
}

// Monitor is the mock monitor to hand to the runner.
func (r *Recorder) Monitor() pulumi.MockResourceMonitor { return r.m }

// Graph returns what was registered so far.
func (r *Recorder) Graph() *Graph { return r.m.recording() }

// plain replaces output values by their elements. Monitors that support output values (the
// integration server's does; the SDK's mocks do not) receive inputs wrapped in them.
func plain(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsOutput():
		return plainValue(v.OutputValue().Element)
	case v.IsArray():
		items := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, item := range v.ArrayValue() {
			items[i] = plainValue(item)
		}
		return resource.NewArrayProperty(items)
	case v.IsObject():
		return resource.NewObjectProperty(plain(v.ObjectValue()))
	}
	return v
}
