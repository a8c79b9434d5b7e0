// Package mockgraph runs a Pulumi program against mocks and records the whole resource graph:
// every resource with its type, name, parent, options and inputs, every invoke, and the stack
// outputs. Unit tests assert on the recording; the network twin builds its namespaces from it.
package mockgraph

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Project is the Pulumi project name the recordings run under.
const Project = "nat-instance"

// Resource is one registered resource.
type Resource struct {
	Type      string
	Name      string
	URN       string
	Parent    string // URN of the parent, "" for the stack itself
	ID        string
	Custom    bool
	DependsOn []string // URNs named in DependsOn
	// PropertyDependencies are, per input, the URNs of the resources whose outputs it takes, as
	// the engine hands them to a policy pack (left out of JSON recordings, which predate them).
	PropertyDependencies map[string][]string `json:"-"`
	DeleteBeforeReplace  bool
	IgnoreChanges        []string // input properties the engine keeps from the state
	Aliases              []string // URNs the resource was known by before
	Inputs               map[string]any
	State                map[string]any // inputs plus what the mock cloud computed
}

// Invoke is one data-source call.
type Invoke struct {
	Token string
	Args  map[string]any
}

// Graph is the recording of one program run.
type Graph struct {
	Resources []Resource
	Invokes   []Invoke
	Outputs   map[string]any
}

// Options adjust the mock cloud.
type Options struct {
	Stack string // default "test"
	// Project is the Pulumi project the program runs as (its config namespace), default Project.
	Project string
	// NotOffered lists, per availability zone, instance types the zone does not offer.
	NotOffered map[string][]string
	// AmiRelease plays a newer Amazon Linux release: the SSM parameters answer
	// "ami-<arch>-<release>" instead of "ami-<arch>".
	AmiRelease string
	// Images are the AMIs getAmi finds, by id, with their architecture.
	Images map[string]string
	// MissingKeyPairs are key pair names the region does not have.
	MissingKeyPairs []string
	// KeptAmi plays a stack deployed earlier: an instance whose ami the program ignores reads
	// back this image from the state, as the engine gives it.
	KeptAmi string
	// KeptZone plays the same for subnets whose availabilityZone the program ignores.
	KeptZone string
}

// AmazonLinuxAMI is the id the mock's SSM parameter answers for an architecture.
func (o Options) AmazonLinuxAMI(arch string) string {
	if o.AmiRelease == "" {
		return "ami-" + arch
	}
	return "ami-" + arch + "-" + o.AmiRelease
}

// Run runs program with config (keys like "nat-instance:vpcCidr", values as Pulumi passes
// them: lists as JSON) and returns what it registered. The error is the program's.
func Run(program pulumi.RunFunc, config map[string]string, opts Options) (*Graph, error) {
	m := newMocks(opts, config)
	var outputs map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if err := program(ctx); err != nil {
			return err
		}
		var err error
		outputs, err = resolveExports(ctx)
		return err
	}, pulumi.WithMocks(m.opts.Project, m.opts.Stack, m), func(info *pulumi.RunInfo) {
		info.Config = config
	})
	g := m.recording()
	g.Outputs = outputs
	return g, err
}

// resolveExports waits for each of the stack's exports and returns their plain values. Waiting
// here, not in an apply, also covers exports that depend on no resource (an empty list), which
// RunErr would not wait for.
func resolveExports(ctx *pulumi.Context) (map[string]any, error) {
	out := map[string]any{}
	for name, value := range ctx.GetCurrentExportMap() {
		result, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(value))
		if err != nil {
			return nil, fmt.Errorf("mockgraph: output %s: %w", name, err)
		}
		out[name] = result.Value
	}
	return out, nil
}

type mocks struct {
	opts   Options
	config map[string]string

	mu    sync.Mutex
	graph Graph
	eips  map[netip.Addr]bool
}

func newMocks(opts Options, config map[string]string) *mocks {
	if opts.Stack == "" {
		opts.Stack = "test"
	}
	if opts.Project == "" {
		opts.Project = Project
	}
	return &mocks{opts: opts, config: config, eips: map[netip.Addr]bool{}}
}

// recording returns what was registered so far, sorted: registration runs concurrently, and
// sorted recordings compare stably.
func (m *mocks) recording() *Graph {
	m.mu.Lock()
	defer m.mu.Unlock()
	slices.SortFunc(m.graph.Resources, func(a, b Resource) int { return strings.Compare(a.URN, b.URN) })
	g := m.graph
	return &g
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Ids are unique per type and name, as logical names are.
	id := args.TypeToken[strings.LastIndex(args.TypeToken, ":")+1:] + "-" + args.Name
	args.Inputs = plain(args.Inputs)
	state := args.Inputs.Copy()
	set := func(key string, v any) { state[resource.PropertyKey(key)] = resource.NewPropertyValue(v) }
	set("arn", fmt.Sprintf("arn:aws:mock::123456789012:%s/%s", args.TypeToken, args.Name))

	switch args.TypeToken {
	case "aws:ec2/eip:Eip":
		set("publicIp", m.allocatePublicIP(args.Name).String())
		set("allocationId", "eipalloc-"+args.Name)
	case "aws:ec2/networkInterface:NetworkInterface":
		if ips := args.Inputs["privateIps"]; ips.IsArray() && len(ips.ArrayValue()) > 0 {
			set("privateIp", ips.ArrayValue()[0].StringValue())
		}
	case "aws:ec2/subnet:Subnet":
		if m.opts.KeptZone != "" && args.RegisterRPC != nil && slices.Contains(args.RegisterRPC.GetIgnoreChanges(), "availabilityZone") {
			set("availabilityZone", m.opts.KeptZone)
		}
	case "aws:ec2/instance:Instance":
		if m.opts.KeptAmi != "" && args.RegisterRPC != nil && slices.Contains(args.RegisterRPC.GetIgnoreChanges(), "ami") {
			set("ami", m.opts.KeptAmi)
		}
		if eni := m.instanceENI(args.Inputs); eni != nil {
			set("privateIp", eni.State["privateIp"])
		}
	case "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile":
		if _, ok := state["name"]; !ok {
			set("name", args.Name)
		}
	}

	rpc := args.RegisterRPC
	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		ID:     id,
		Custom: args.Custom,
		Inputs: args.Inputs.Mappable(),
		State:  state.Mappable(),
	}
	if rpc != nil {
		r.Parent = rpc.GetParent()
		r.DependsOn = rpc.GetDependencies()
		r.PropertyDependencies = map[string][]string{}
		for prop, deps := range rpc.GetPropertyDependencies() {
			r.PropertyDependencies[prop] = deps.GetUrns()
		}
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Aliases = aliasURNs(m.opts.Project, m.opts.Stack, rpc)
		r.URN = urn(m.opts.Project, m.opts.Stack, rpc.GetParent(), args.TypeToken, args.Name)
	}
	m.graph.Resources = append(m.graph.Resources, r)
	return id, state, nil
}

// urn is the URN the mock monitor gives the resource, so that Parent and DependsOn can be
// matched to recorded resources.
func urn(project, stack, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stack), tokens.PackageName(project), parentType, tokens.Type(typ), name))
}

// instanceENI finds the recorded network interface an instance is launched with.
func (m *mocks) instanceENI(inputs resource.PropertyMap) *Resource {
	nics := inputs["networkInterfaces"]
	if !nics.IsArray() || len(nics.ArrayValue()) == 0 {
		return nil
	}
	id := nics.ArrayValue()[0].ObjectValue()["networkInterfaceId"].StringValue()
	for i := range m.graph.Resources {
		if m.graph.Resources[i].ID == id {
			return &m.graph.Resources[i]
		}
	}
	return nil
}

// allocatePublicIP gives each Elastic IP a stable address in 203.0.113.0/24 (TEST-NET-3),
// derived from its name so that recordings do not depend on registration order.
func (m *mocks) allocatePublicIP(name string) netip.Addr {
	h := fnv.New32a()
	h.Write([]byte(name))
	n := h.Sum32() % 200
	for {
		addr := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + n)})
		if !m.eips[addr] {
			m.eips[addr] = true
			return addr
		}
		n = (n + 1) % 200
	}
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.graph.Invokes = append(m.graph.Invokes, Invoke{Token: args.Token, Args: args.Args.Mappable()})
	m.mu.Unlock()

	region := m.config["aws:region"]
	if region == "" {
		region = "ap-northeast-2"
	}
	zones := []string{region + "a", region + "b", region + "c", region + "d"}
	var result map[string]any
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		result = map[string]any{"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:user/mock", "userId": "mock"}
	case "aws:index/getPartition:getPartition":
		result = map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com"}
	case "aws:index/getRegion:getRegion":
		result = map[string]any{"name": region}
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		result = map[string]any{"names": zones, "zoneIds": zones}
	case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
		result = m.offerings(args.Args, zones)
	case "aws:ssm/getParameter:getParameter":
		name := args.Args["name"].StringValue()
		result = map[string]any{"name": name, "type": "String", "value": m.opts.AmazonLinuxAMI(name[strings.LastIndex(name, "-")+1:])}
	case "aws:ec2/getAmi:getAmi":
		return m.image(args.Args)
	case "aws:ec2/getKeyPair:getKeyPair":
		name := args.Args["keyName"].StringValue()
		if slices.Contains(m.opts.MissingKeyPairs, name) {
			return nil, fmt.Errorf("reading EC2 Key Pair (%s): InvalidKeyPair.NotFound: The key pair '%s' does not exist", name, name)
		}
		result = map[string]any{"keyName": name, "keyPairId": "key-" + name, "keyType": "ed25519"}
	default:
		return nil, fmt.Errorf("mockgraph: no mock for invoke %s", args.Token)
	}
	return resource.NewPropertyMapFromMap(result), nil
}

// offerings answers which zones offer the requested instance types, minus Options.NotOffered.
func (m *mocks) offerings(args resource.PropertyMap, zones []string) map[string]any {
	var types []string
	for _, f := range args["filters"].ArrayValue() {
		for _, v := range f.ObjectValue()["values"].ArrayValue() {
			types = append(types, v.StringValue())
		}
	}
	var locations, offered []string
	for _, zone := range zones {
		for _, t := range types {
			if !slices.Contains(m.opts.NotOffered[zone], t) {
				locations, offered = append(locations, zone), append(offered, t)
			}
		}
	}
	return map[string]any{"locations": locations, "instanceTypes": offered}
}

// image answers getAmi filtered by image-id and architecture from Options.Images, failing as
// the provider does when nothing matches.
func (m *mocks) image(args resource.PropertyMap) (resource.PropertyMap, error) {
	filter := map[string]string{}
	for _, f := range args["filters"].ArrayValue() {
		if values := f.ObjectValue()["values"].ArrayValue(); len(values) > 0 {
			filter[f.ObjectValue()["name"].StringValue()] = values[0].StringValue()
		}
	}
	id := filter["image-id"]
	arch, ok := m.opts.Images[id]
	if !ok || (filter["architecture"] != "" && filter["architecture"] != arch) {
		return nil, fmt.Errorf("your query returned no results (image-id %s, architecture %s)", id, filter["architecture"])
	}
	return resource.NewPropertyMapFromMap(map[string]any{"id": id, "imageId": id, "architecture": arch}), nil
}

// aliasURNs returns the URNs a registration names as the resource's former identities, whether
// the SDK sent them as URNs or as specs (a former name, type or parent; the rest as now).
func aliasURNs(project, stack string, rpc interface {
	GetParent() string
	GetType() string
	GetName() string
	GetAliasURNs() []string
	GetAliases() []*pulumirpc.Alias
}) []string {
	out := slices.Clone(rpc.GetAliasURNs())
	for _, a := range rpc.GetAliases() {
		if u := a.GetUrn(); u != "" {
			out = append(out, u)
		} else if spec := a.GetSpec(); spec != nil {
			name, typ, parent := spec.GetName(), spec.GetType(), rpc.GetParent()
			if name == "" {
				name = rpc.GetName()
			}
			if typ == "" {
				typ = rpc.GetType()
			}
			if spec.GetParentUrn() != "" || spec.GetNoParent() {
				parent = spec.GetParentUrn()
			}
			out = append(out, urn(project, stack, parent, typ, name))
		}
	}
	return out
}
