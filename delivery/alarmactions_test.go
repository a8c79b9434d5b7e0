package delivery

import (
	"strings"
	"testing"

	"nat-instance/mockgraph"
)

// Every alarm of every graph can be put under the policy: each of its ALARM and OK actions is
// one cloudwatch:PutMetricAlarm's cloudwatch:AlarmActions condition allows, the topics the
// program makes under the name Pulumi gives them, an existing topic because the scope names it.
// Without it in the scope, the alarms that notify it are refused.
func TestAlarmActionsAreAllowed(t *testing.T) {
	allowed := alarmActionsAllowed(t, testScope)
	without := testScope
	without.AlarmTopicArns = nil
	refused := alarmActionsAllowed(t, without)
	notified := 0
	for _, r := range programGraphs(t) {
		for _, arn := range alarmActions(r.graph) {
			if !matchesAny(allowed, arn) {
				t.Errorf("%s: an alarm notifies %s, which cloudwatch:AlarmActions does not allow (%v)", r.name, arn, allowed)
			}
			if arn == existingTopic {
				notified++
				if matchesAny(refused, arn) {
					t.Errorf("%s: %s is allowed although the scope does not name it", r.name, arn)
				}
			}
		}
	}
	if notified == 0 {
		t.Errorf("no alarm of %q notifies %s", existingTopicFeature, existingTopic)
	}
}

// alarmActionsAllowed returns the values of PutMetricAlarm's cloudwatch:AlarmActions condition.
func alarmActionsAllowed(t *testing.T, s Scope) []string {
	t.Helper()
	doc, err := DeployPolicy(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			if a == "cloudwatch:PutMetricAlarm" && st.Effect == "Allow" {
				values, _ := st.Condition["ForAllValues:StringLike"]["cloudwatch:AlarmActions"].([]string)
				return values
			}
		}
	}
	t.Fatal("the deploy policy does not allow cloudwatch:PutMetricAlarm")
	return nil
}

// alarmActions lists the ALARM and OK actions of a graph's alarms; a topic of the graph is
// named by the ARN it gets in the scope's region, under its auto-name.
func alarmActions(g *mockgraph.Graph) []string {
	topics := map[string]string{}
	for _, topic := range g.OfType("aws:sns/topic:Topic") {
		arn, _ := topic.State["arn"].(string)
		topics[arn] = testScope.arn("sns", testScope.Region, testScope.Account, topic.Name+"-1a2b3c4")
	}
	var out []string
	for _, alarm := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		for _, key := range []string{"alarmActions", "okActions"} {
			for _, action := range alarm.Strings(key) {
				if real, ok := topics[action]; ok {
					action = real
				}
				out = append(out, strings.TrimSpace(action))
			}
		}
	}
	return out
}
