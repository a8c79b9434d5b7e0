package lab

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/compute"
	"nat-instance/settings"
)

// monitoringName names the stack's monitoring component, its alarm topic (nat-lab-alarms) and
// its dashboard.
const monitoringName = "nat-lab"

// newMonitoring makes what the stack's NATs share to be watched, before them: the topic for
// alarmEmail, which their alarms name (or the topic alarmTopicArn names).
func newMonitoring(ctx *pulumi.Context, s settings.Settings) (*compute.Monitoring, error) {
	notify := compute.Notify{Email: s.AlarmEmail, KmsKeyID: s.AlarmTopicKmsKeyID}
	if s.AlarmTopicArn != "" {
		notify.TopicArn = pulumi.String(s.AlarmTopicArn)
	}
	return compute.NewMonitoring(ctx, monitoringName, compute.MonitoringArgs{Notify: notify, Dashboard: s.Dashboard})
}

// watch completes the monitoring once every NAT exists (the topic's policy names all their
// alarms, the dashboard shows them all) and exports where to look.
func watch(ctx *pulumi.Context, s settings.Settings, region, partition string, m *compute.Monitoring, nats []compute.Monitored) error {
	if err := m.Watch(ctx, nats); err != nil {
		return err
	}
	if m.Notify.TopicArn != nil {
		ctx.Export("alarmTopicArn", m.Notify.TopicArn)
	}
	if !s.Dashboard {
		return nil
	}
	name := compute.DashboardName(ctx, monitoringName, region)
	if _, ok := compute.DashboardURL(partition, region, name); !ok {
		_ = ctx.Log.Warn("partition "+partition+" has no public console to link the dashboard from: "+
			"open "+name+" among CloudWatch's dashboards", nil)
		return nil
	}
	ctx.Export("dashboardUrl", m.DashboardURL)
	return nil
}
