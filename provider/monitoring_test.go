package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"nat-instance/mockgraph"
)

// givenTopic is an existing topic in the recorder's region and account.
const givenTopic = "arn:aws:sns:" + prodRegion + ":" + mockAcct + ":ops-alerts"

// constructWith builds a component from the lab's inputs with some set, and returns what it
// registered and its outputs.
func constructWith(t *testing.T, token string, inputs property.Map, kv map[string]property.Value) (*mockgraph.Graph, property.Map) {
	return constructNamed(t, token, "nat", inputs, kv)
}

// constructNamed is constructWith with the component's name.
func constructNamed(t *testing.T, token, name string, inputs property.Map, kv map[string]property.Value) (*mockgraph.Graph, property.Map) {
	t.Helper()
	for k, v := range kv {
		inputs = inputs.Set(k, v)
	}
	rec := mockgraph.NewRecorder(mockgraph.Options{Stack: "dev"})
	resp, err := server(t, rec).Construct(p.ConstructRequest{Urn: resource.NewURN("dev", mockgraph.Project, "", tokens.Type(token), name), Inputs: inputs})
	if err != nil {
		t.Fatalf("Construct: %v", err)
	}
	return rec.Graph(), resp.State
}

// alarmEmail gives the component a topic of its own: every alarm of it notifies the topic on
// ALARM and on OK, and the topic's policy lets CloudWatch publish for exactly those alarms.
func TestConstructWithAnEmailAddressMakesItsOwnTopic(t *testing.T) {
	_, nat := labNat(t, devWith(t))
	_, pair := labPair(t)
	for token, inputs := range map[string]property.Map{natToken: nat, pairToken: pair} {
		g, state := constructWith(t, token, inputs, map[string]property.Value{"alarmEmail": property.New("ops@example.com")})
		topic, err := g.Named("aws:sns/topic:Topic", "nat-alarms")
		if err != nil {
			t.Fatal(err)
		}
		arn := topic.State["arn"].(string)
		var alarms []string
		for _, a := range g.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
			alarms = append(alarms, a.State["arn"].(string))
			if actions := a.Strings("alarmActions"); actions[len(actions)-1] != arn || !slices.Equal(a.Strings("okActions"), []string{arn}) {
				t.Errorf("%s: %s notifies %v on ALARM, %v on OK; want the topic %s", token, a.Name, actions, a.Strings("okActions"), arn)
			}
		}
		var got []string
		for _, v := range state.Get("alarmArns").AsArray().All {
			got = append(got, v.AsString())
		}
		if !sameStrings(got, alarms) {
			t.Errorf("%s: output alarmArns %v, want %v", token, got, alarms)
		}
		policy, err := g.Named("aws:sns/topicPolicy:TopicPolicy", "nat-alarms")
		if err != nil {
			t.Fatal(err)
		}
		var document struct {
			Statement []struct {
				Principal map[string]string
				Action    string
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(policy.String("policy")), &document); err != nil {
			t.Fatal(err)
		}
		st := document.Statement[0]
		if len(document.Statement) != 1 || st.Principal["Service"] != "cloudwatch.amazonaws.com" || st.Action != "sns:Publish" ||
			!sameStrings(mockgraph.AsStrings(st.Condition["ArnEquals"]["aws:SourceArn"]), alarms) {
			t.Errorf("%s: topic policy %s: want CloudWatch to publish for the component's alarms only", token, policy.String("policy"))
		}
		for _, typ := range []string{"aws:kms/key:Key", "aws:sns/topicSubscription:TopicSubscription"} {
			if _, err := g.Named(typ, "nat-alarms"); err != nil {
				t.Errorf("%s: %v", token, err)
			}
		}
	}
}

func sameStrings(a, b []string) bool {
	return len(a) > 0 && slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// dashboard makes the component's own dashboard: for the lab's NAT, the very body the program's
// dashboard has (both come from the same list of metrics), and its URL as an output.
func TestConstructWithADashboard(t *testing.T) {
	program, inputs := labNat(t, devWith(t))
	g, state := constructNamed(t, natToken, "nat-instance", inputs, map[string]property.Value{"dashboard": property.New(true)})
	dashboards := g.OfType("aws:cloudwatch/dashboard:Dashboard")
	programs := program.OfType("aws:cloudwatch/dashboard:Dashboard")
	if len(dashboards) != 1 || len(programs) != 1 {
		t.Fatalf("%d dashboards, the program %d; want one each", len(dashboards), len(programs))
	}
	if dashboards[0].String("dashboardBody") != programs[0].String("dashboardBody") {
		t.Errorf("the component's dashboard\n%s\nthe program's\n%s", dashboards[0].String("dashboardBody"), programs[0].String("dashboardBody"))
	}
	name := "nat-instance-dev-nat-instance-" + prodRegion
	if dashboards[0].String("dashboardName") != name {
		t.Errorf("dashboard named %q, want %q", dashboards[0].String("dashboardName"), name)
	}
	want := "https://" + prodRegion + ".console.aws.amazon.com/cloudwatch/home?region=" + prodRegion + "#dashboards:name=" + name
	if got := state.Get("dashboardUrl"); !got.IsString() || got.AsString() != want {
		t.Errorf("dashboardUrl %v, want %s", got, want)
	}
	_, state = constructWith(t, natToken, inputs, nil)
	if got := state.Get("dashboardUrl"); !got.IsString() || got.AsString() != "" {
		t.Errorf("dashboardUrl %v without a dashboard, want \"\"", got)
	}
}

// Bad alarm inputs are refused like the stack configuration's, naming the input, and nothing is
// built.
func TestConstructRejectsBadAlarmInputs(t *testing.T) {
	_, nat := labNat(t, devWith(t))
	_, pair := labPair(t)
	for _, tc := range []struct {
		inputs map[string]property.Value
		want   string
	}{
		{map[string]property.Value{"alarmEmail": property.New("ops@localhost")}, `alarmEmail = "ops@localhost": must be one e-mail address`},
		{map[string]property.Value{"alarmEmail": property.New("ops@example.com"), "alarmTopicArn": property.New(givenTopic)},
			`alarmEmail = "ops@example.com": set either alarmTopicArn`},
		{map[string]property.Value{"alarmTopicArn": property.New("arn:aws:sns:us-east-1:" + mockAcct + ":ops")},
			`alarmTopicArn = "arn:aws:sns:us-east-1:` + mockAcct + `:ops": is a topic in us-east-1`},
		{map[string]property.Value{"alarmEmail": property.New("ops@example.com"), "alarmTopicKmsKeyId": property.New("alias/aws/sns")},
			`alarmTopicKmsKeyId = "alias/aws/sns": is an AWS managed key`},
		{map[string]property.Value{"alarmTopicKmsKeyId": property.New("alias/ops")}, `alarmTopicKmsKeyId = "alias/ops": encrypts the topic made for alarmEmail, which is not set`},
	} {
		for token, inputs := range map[string]property.Map{natToken: nat, pairToken: pair} {
			for k, v := range tc.inputs {
				inputs = inputs.Set(k, v)
			}
			rec := mockgraph.NewRecorder(mockgraph.Options{Stack: "dev"})
			_, err := server(t, rec).Construct(p.ConstructRequest{Urn: resource.NewURN("dev", mockgraph.Project, "", tokens.Type(token), "nat"), Inputs: inputs})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %v: error %v, want one containing %q", token, tc.inputs, err, tc.want)
			}
			if n := len(rec.Graph().Resources); n != 0 {
				t.Errorf("%s %v: %d resources registered, want none", token, tc.inputs, n)
			}
		}
	}
}
