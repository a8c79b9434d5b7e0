package plandiff_test

import (
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
	"nat-instance/plandiff"
)

const tAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"

// Turning notifications on in a deployed stack adds the topic (with its key, subscription and
// policy) and updates every alarm in place, its actions only: nothing is replaced or deleted,
// and the dashboard, whose alarms keep their ARNs, is left as it is.
func TestTurningNotificationsOnReplacesNothing(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		for _, kv := range [][]string{
			{"alarmEmail", "ops@example.com"},
			{"alarmTopicArn", "arn:aws:sns:ap-northeast-2:123456789012:ops-alerts"},
		} {
			t.Run(stack+" "+kv[0], func(t *testing.T) {
				before := record(t, stackFile(t, stack), mockgraph.Options{Stack: stack})
				p := plan(t, before, record(t, stackFile(t, stack, kv...), mockgraph.Options{Stack: stack}))
				var created []string
				for _, s := range p.Changes() {
					switch {
					case s.Action == plandiff.Create:
						created = append(created, shortType(s.Type))
					case s.Action == plandiff.Update && s.Type == tAlarm && strings.Join(s.Changed, ",") == "alarmActions,okActions":
					default:
						t.Errorf("step %s: want only the topic's creation and the alarms' actions updated", s)
					}
				}
				if alarms := len(p.Of(plandiff.Update, tAlarm)); alarms != len(before.OfType(tAlarm)) {
					t.Errorf("%d alarms updated, want all %d", alarms, len(before.OfType(tAlarm)))
				}
				want := []string{"Key", "Topic", "TopicPolicy", "TopicSubscription"}
				if kv[0] == "alarmTopicArn" {
					want = nil
				}
				if slices.Sort(created); !slices.Equal(created, want) {
					t.Errorf("created %v, want %v", created, want)
				}
			})
		}
	}
}

// Another address replaces the subscription only (AWS cannot change a subscription's endpoint).
func TestChangingTheAddressReplacesOnlyTheSubscription(t *testing.T) {
	before := record(t, stackFile(t, "dev", "alarmEmail", "ops@example.com"), mockgraph.Options{Stack: "dev"})
	p := plan(t, before, record(t, stackFile(t, "dev", "alarmEmail", "oncall@example.com"), mockgraph.Options{Stack: "dev"}))
	changes := p.Changes()
	if len(changes) != 1 || changes[0].Action != plandiff.Replace || shortType(changes[0].Type) != "TopicSubscription" {
		t.Errorf("changes %v, want the subscription replaced and nothing else", changes)
	}
}
