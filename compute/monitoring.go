package compute

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MonitoringArgs says who hears NATs' alarms and whether they have a dashboard.
type MonitoringArgs struct {
	Notify Notify
	// Dashboard makes a CloudWatch dashboard of the NATs (DashboardBody).
	Dashboard bool
}

// Monitoring is what NATs share to be watched: the alarm topic made for an e-mail address and
// the dashboard. The lab has one for the stack's NATs; a NAT component has its own when its
// MonitoringArgs ask for either. Its children come in two steps, because the topic's policy names
// the alarms and the dashboard shows the NATs, which other components build in between:
// NewMonitoring makes the topic, Watch the policy and the dashboard.
type Monitoring struct {
	pulumi.ResourceState

	// Notify is whom the NATs' alarms tell: give it to each NAT.
	Notify Notify
	// DashboardURL is the dashboard's console URL once Watch has run; "" without a dashboard or
	// in a partition with no public console.
	DashboardURL pulumi.StringOutput

	name  string
	args  MonitoringArgs
	made  bool // registered: it has something to make
	topic *AlarmTopic
}

// NewMonitoring registers the component and makes the topic for Notify.Email. With nothing to
// make (no e-mail address, no dashboard) it registers nothing, and Notify is args.Notify.
func NewMonitoring(ctx *pulumi.Context, name string, args MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	m := &Monitoring{Notify: args.Notify, DashboardURL: pulumi.String("").ToStringOutput(), name: name, args: args}
	if args.Notify.Email == "" && !args.Dashboard {
		return m, nil
	}
	if err := ctx.RegisterComponentResource("nat-instance:compute:Monitoring", name, m, opts...); err != nil {
		return nil, err
	}
	m.made = true
	if args.Notify.Email != "" {
		var err error
		if m.topic, err = NewAlarmTopic(ctx, name+"-alarms", args.Notify.Email, args.Notify.KmsKeyID, pulumi.Parent(m)); err != nil {
			return nil, err
		}
		m.Notify = Notify{TopicArn: m.topic.Topic.Arn}
	}
	return m, nil
}

// Watch completes the component once the NATs exist: the made topic's policy names all their
// alarms, and the dashboard shows each of them.
func (m *Monitoring) Watch(ctx *pulumi.Context, nats []Monitored) error {
	if !m.made {
		return nil
	}
	parent := pulumi.Parent(m)
	if m.topic != nil {
		lists := make([]any, len(nats))
		for i, n := range nats {
			lists[i] = n.AlarmArns
		}
		arns := pulumi.All(lists...).ApplyT(func(v []any) []string {
			var out []string
			for _, list := range v {
				out = append(out, list.([]string)...)
			}
			return out
		}).(pulumi.StringArrayOutput)
		if err := m.topic.Allow(ctx, arns, parent); err != nil {
			return err
		}
	}
	if m.args.Dashboard {
		region, err := aws.GetRegion(ctx, nil)
		if err != nil {
			return fmt.Errorf("compute: dashboard %s: region: %w", m.name, err)
		}
		partition, err := aws.GetPartition(ctx, nil)
		if err != nil {
			return fmt.Errorf("compute: dashboard %s: partition: %w", m.name, err)
		}
		url, err := newDashboard(ctx, m.name, region.Name, partition.Partition, nats, parent)
		if err != nil {
			return err
		}
		m.DashboardURL = url
	}
	return ctx.RegisterResourceOutputs(m, pulumi.Map{"dashboardUrl": m.DashboardURL})
}

// Monitored is what a dashboard shows of a NAT, as outputs of the component that built it.
type Monitored struct {
	Name        string
	Pair        bool
	MemberNames []string
	InstanceIds pulumi.StringArrayOutput
	PublicIP    pulumi.StringOutput
	AlarmArns   pulumi.StringArrayOutput
}

// dashboardNameInvalid are the characters CloudWatch refuses in a dashboard's name.
var dashboardNameInvalid = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// DashboardName is the CloudWatch name of the dashboard a Monitoring named name makes. Dashboards
// are named per account, not per region, so it says project, stack, name and region: two stacks
// (or two regions of one) never overwrite each other's.
func DashboardName(ctx *pulumi.Context, name, region string) string {
	joined := dashboardNameInvalid.ReplaceAllString(strings.Join([]string{ctx.Project(), ctx.Stack(), name, region}, "-"), "-")
	return joined[:min(len(joined), 255)]
}

// newDashboard makes the CloudWatch dashboard of these NATs (DashboardBody) and returns its
// console URL, "" in a partition without a public console.
func newDashboard(ctx *pulumi.Context, name, region, partition string, nats []Monitored, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	var outputs []any
	for _, n := range nats {
		outputs = append(outputs, n.InstanceIds, n.PublicIP, n.AlarmArns)
	}
	body := pulumi.All(outputs...).ApplyT(func(v []any) (string, error) {
		sections := make([]DashboardNat, len(nats))
		for i, n := range nats {
			ids := v[3*i].([]string)
			sections[i] = DashboardNat{Name: n.Name, Pair: n.Pair, PublicIP: v[3*i+1].(string), AlarmArns: v[3*i+2].([]string)}
			for j, member := range n.MemberNames {
				sections[i].Members = append(sections[i].Members, DashboardMember{member, ids[j]})
			}
		}
		return DashboardBody(region, sections)
	}).(pulumi.StringOutput)
	dashboardName := DashboardName(ctx, name, region)
	dashboard, err := cloudwatch.NewDashboard(ctx, name, &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(dashboardName),
		DashboardBody: body,
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("compute: dashboard %s: %w", dashboardName, err)
	}
	url, _ := DashboardURL(partition, region, dashboardName)
	return dashboard.DashboardName.ApplyT(func(string) string { return url }).(pulumi.StringOutput), nil
}
