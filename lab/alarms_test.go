package lab

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"nat-instance/mockgraph"
)

const (
	tTopic        = "aws:sns/topic:Topic"
	tTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	tSubscription = "aws:sns/topicSubscription:TopicSubscription"
	tKey          = "aws:kms/key:Key"
	tDashboard    = "aws:cloudwatch/dashboard:Dashboard"

	mockAccount = "123456789012" // mockgraph's
	givenTopic  = "arn:aws:sns:ap-northeast-2:123456789012:ops-alerts"
)

// checkAlarmsNotify checks that every alarm of the stack tells topic of ALARM and of OK, and
// that a pair member's status-check alarm keeps its EC2 action (recover, reboot) first.
func checkAlarmsNotify(t *testing.T, g *mockgraph.Graph, topic string) []mockgraph.Resource {
	t.Helper()
	alarms := g.OfType(tAlarm)
	if len(alarms) == 0 {
		t.Fatal("the stack has no alarms")
	}
	for _, a := range alarms {
		want := []string{topic}
		if strings.HasSuffix(a.Name, "-system-check") {
			want = []string{"arn:aws:automate:ap-northeast-2:ec2:recover", topic}
		} else if strings.HasSuffix(a.Name, "-instance-check") {
			want = []string{"arn:aws:automate:ap-northeast-2:ec2:reboot", topic}
		}
		if got := a.Strings("alarmActions"); !slices.Equal(got, want) {
			t.Errorf("%s: alarm actions %v, want %v", a.Name, got, want)
		}
		if got := a.Strings("okActions"); !slices.Equal(got, []string{topic}) {
			t.Errorf("%s: OK actions %v, want [%s]", a.Name, got, topic)
		}
	}
	return alarms
}

// Every alarm (capacity alarms of every NAT instance and member, members' status-check alarms)
// notifies the one topic on ALARM and on OK, whether it is given or made for an address.
func TestEveryAlarmNotifiesTheTopic(t *testing.T) {
	made := "arn:aws:mock::" + mockAccount + ":" + tTopic + "/nat-lab-alarms"
	for _, tc := range []struct {
		name  string
		cfg   map[string]string
		topic string
	}{
		{"single NAT, e-mail", config("alarmEmail", "ops@example.com"), made},
		{"three NATs, e-mail", config("zoneCount", "3", "alarmEmail", "ops@example.com"), made},
		{"pairs, e-mail", pairConfig("zoneCount", "2", "alarmEmail", "ops@example.com"), made},
		{"single NAT, topic", config("alarmTopicArn", givenTopic), givenTopic},
		{"pairs, topic", pairConfig("alarmTopicArn", givenTopic), givenTopic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := record(t, tc.cfg)
			alarms := checkAlarmsNotify(t, g, tc.topic)
			if tc.topic == givenTopic && len(g.OfType(tTopic))+len(g.OfType(tKey))+len(g.OfType(tTopicPolicy)) != 0 {
				t.Error("a topic was given, yet the stack makes a topic, key or topic policy of its own")
			}
			if g.Outputs["alarmTopicArn"] != tc.topic {
				t.Errorf("output alarmTopicArn = %v, want %s", g.Outputs["alarmTopicArn"], tc.topic)
			}
			// Two capacity alarms per NAT instance; a pair member has two status-check alarms more,
			// and a pair two of its own (identity, takeover).
			perInstance, perPair := 2, 0
			if tc.cfg["nat-instance:natHighAvailability"] == "true" {
				perInstance, perPair = 4, 2
			}
			instances := 0
			for _, inst := range g.OfType(tInstance) {
				if strings.HasPrefix(inst.Name, "nat-instance") {
					instances++
				}
			}
			pairs := instances / 2
			if len(alarms) != perInstance*instances+perPair*pairs {
				t.Errorf("%d alarms for %d NAT instances, want %d each and %d per pair", len(alarms), instances, perInstance, perPair)
			}
		})
	}
}

// Without a notification key, the alarms tell no one (as before): no topic, no actions but the
// members' EC2 actions.
func TestAlarmsNotifyNoOneUnlessAsked(t *testing.T) {
	for _, cfg := range []map[string]string{config(), pairConfig()} {
		g := record(t, cfg)
		for _, a := range g.OfType(tAlarm) {
			for _, action := range a.Strings("alarmActions") {
				if !strings.Contains(action, ":automate:") {
					t.Errorf("%s notifies %s", a.Name, action)
				}
			}
			if a.Inputs["okActions"] != nil {
				t.Errorf("%s has OK actions %v", a.Name, a.Inputs["okActions"])
			}
		}
		if n := len(g.OfType(tTopic)) + len(g.OfType(tSubscription)) + len(g.OfType(tKey)); n != 0 {
			t.Errorf("%d topics, subscriptions and keys without alarmEmail", n)
		}
		if _, ok := g.Outputs["alarmTopicArn"]; ok {
			t.Error("alarmTopicArn exported without a topic")
		}
	}
}

// policyStatements parses a policy document.
func policyStatements(t *testing.T, document string) []map[string]any {
	t.Helper()
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		t.Fatalf("policy %s: %v", document, err)
	}
	return doc.Statement
}

// The topic made for alarmEmail: its policy lets CloudWatch publish for this account's alarms
// of the stack and grants nothing else; it is encrypted with a key of its own whose policy lets
// CloudWatch use it; the subscription e-mails the address.
func TestAlarmTopicForAnEmailAddress(t *testing.T) {
	g := record(t, pairConfig("zoneCount", "2", "alarmEmail", "ops@example.com"))
	topic := named(t, g, tTopic, "nat-lab-alarms")
	topicArn := topic.State["arn"].(string)

	policy := named(t, g, tTopicPolicy, "nat-lab-alarms")
	if policy.String("arn") != topicArn {
		t.Errorf("the policy is on %s, want the topic %s", policy.String("arn"), topicArn)
	}
	statements := policyStatements(t, policy.String("policy"))
	if len(statements) != 1 {
		t.Fatalf("topic policy %s: want one statement", policy.String("policy"))
	}
	st := statements[0]
	var alarms []any
	for _, a := range g.OfType(tAlarm) {
		alarms = append(alarms, a.State["arn"])
	}
	want := map[string]any{
		"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Action": "sns:Publish", "Resource": topicArn,
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": mockAccount},
			"ArnEquals":    map[string]any{"aws:SourceArn": alarms},
		},
	}
	// The alarms in any order.
	if condition, ok := st["Condition"].(map[string]any)["ArnEquals"].(map[string]any); ok {
		sources, _ := condition["aws:SourceArn"].([]any)
		slices.SortFunc(sources, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	}
	slices.SortFunc(alarms, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	if got, _ := json.Marshal(st); string(got) != mustJSON(t, want) {
		t.Errorf("topic policy statement\n%s\nwant\n%s", got, mustJSON(t, want))
	}
	if len(alarms) != 20 {
		t.Errorf("the policy names %d alarms, want the 20 of two pairs (4 per member, 2 per pair)", len(alarms))
	}

	key := named(t, g, tKey, "nat-lab-alarms")
	if topic.String("kmsMasterKeyId") != key.State["arn"] {
		t.Errorf("topic encrypted with %q, want the key made for it %v", topic.String("kmsMasterKeyId"), key.State["arn"])
	}
	if key.Inputs["enableKeyRotation"] != true {
		t.Error("the topic's key does not rotate")
	}
	keyStatements := policyStatements(t, key.String("policy"))
	grants := map[string]string{}
	for _, s := range keyStatements {
		principal, _ := json.Marshal(s["Principal"])
		action, _ := json.Marshal(s["Action"])
		grants[string(principal)] = string(action)
	}
	if want := map[string]string{
		`{"AWS":"arn:aws:iam::` + mockAccount + `:root"}`: `"kms:*"`,
		`{"Service":"cloudwatch.amazonaws.com"}`:          `["kms:Decrypt","kms:GenerateDataKey*"]`,
	}; !mapsEqual(grants, want) {
		t.Errorf("key policy grants %v, want %v", grants, want)
	}

	subscription := named(t, g, tSubscription, "nat-lab-alarms")
	if subscription.String("topic") != topicArn || subscription.String("protocol") != "email" || subscription.String("endpoint") != "ops@example.com" {
		t.Errorf("subscription %v, want ops@example.com by e-mail to the topic", subscription.Inputs)
	}
}

// A given key encrypts the topic; no key is made.
func TestAlarmTopicWithAGivenKey(t *testing.T) {
	key := "arn:aws:kms:ap-northeast-2:123456789012:key/0f2c7e3a-1b2c-4d5e-8f90-123456789abc"
	g := record(t, config("alarmEmail", "ops@example.com", "alarmTopicKmsKeyId", key))
	if got := named(t, g, tTopic, "nat-lab-alarms").String("kmsMasterKeyId"); got != key {
		t.Errorf("topic encrypted with %q, want %s", got, key)
	}
	if keys := g.OfType(tKey); len(keys) != 0 {
		t.Errorf("a key was given, yet %d were made", len(keys))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Bad notification and dashboard keys fail before any resource, naming the key, the value and
// what is allowed.
func TestBadAlarmConfigFailsBeforeAnyResource(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"both ways to notify", []string{"alarmEmail", "ops@example.com", "alarmTopicArn", givenTopic},
			[]string{`alarmTopicArn = "` + givenTopic + `": set either alarmTopicArn`, "or alarmEmail"}},
		{"not an address", []string{"alarmEmail", "ops"}, []string{`alarmEmail = "ops": must be one e-mail address`}},
		{"a domain without a dot", []string{"alarmEmail", "ops@localhost"}, []string{`alarmEmail = "ops@localhost"`, "a domain with a dot"}},
		{"a name and brackets", []string{"alarmEmail", "Ops <ops@example.com>"}, []string{`alarmEmail = "Ops <ops@example.com>"`, "no name or angle brackets"}},
		{"two addresses", []string{"alarmEmail", "a@example.com,b@example.com"}, []string{`alarmEmail = "a@example.com,b@example.com"`}},
		{"topic in another region", []string{"alarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops"},
			[]string{`alarmTopicArn = "arn:aws:sns:us-east-1:123456789012:ops": is a topic in us-east-1`, "alarms are in ap-northeast-2", "arn:aws:sns:ap-northeast-2:<account>:<topic name>"}},
		{"topic in another partition", []string{"alarmTopicArn", "arn:aws-cn:sns:ap-northeast-2:123456789012:ops"},
			[]string{`alarmTopicArn = "arn:aws-cn:sns:ap-northeast-2:123456789012:ops"`, "partition aws-cn", "(partition aws)"}},
		{"not a topic", []string{"alarmTopicArn", "arn:aws:sqs:ap-northeast-2:123456789012:ops"},
			[]string{`alarmTopicArn = "arn:aws:sqs:ap-northeast-2:123456789012:ops": must be an SNS topic ARN`}},
		{"a topic name", []string{"alarmTopicArn", "ops-alerts"}, []string{`alarmTopicArn = "ops-alerts": must be an SNS topic ARN`}},
		{"the AWS managed key", []string{"alarmEmail", "ops@example.com", "alarmTopicKmsKeyId", "alias/aws/sns"},
			[]string{`alarmTopicKmsKeyId = "alias/aws/sns": is an AWS managed key`, "cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*"}},
		{"the AWS managed key by ARN", []string{"alarmEmail", "ops@example.com", "alarmTopicKmsKeyId", "arn:aws:kms:ap-northeast-2:123456789012:alias/aws/sns"},
			[]string{`alarmTopicKmsKeyId = "arn:aws:kms:ap-northeast-2:123456789012:alias/aws/sns": is an AWS managed key`}},
		{"a key in another region", []string{"alarmEmail", "ops@example.com", "alarmTopicKmsKeyId", "arn:aws:kms:us-east-1:123456789012:key/0f2c7e3a-1b2c-4d5e-8f90-123456789abc"},
			[]string{`alarmTopicKmsKeyId = "arn:aws:kms:us-east-1:123456789012:key/0f2c7e3a-1b2c-4d5e-8f90-123456789abc": is a key of us-east-1`}},
		{"not a key", []string{"alarmEmail", "ops@example.com", "alarmTopicKmsKeyId", "my key"},
			[]string{`alarmTopicKmsKeyId = "my key": must be a KMS key id, alias/<name>`}},
		{"a key without a topic to encrypt", []string{"alarmTopicKmsKeyId", "alias/ops"},
			[]string{`alarmTopicKmsKeyId = "alias/ops": encrypts the topic the program makes for alarmEmail, which is not set`}},
		{"dashboard not a boolean", []string{"dashboard", "yes please"}, []string{`dashboard = "yes please": must be true`}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectConfigError(t, config(tc.kv...), tc.want...) })
	}
}
