package settings

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
)

// Config keys of alarm notifications and the dashboard, as declared in Pulumi.yaml.
const (
	KeyAlarmEmail         = "alarmEmail"
	KeyAlarmTopicArn      = "alarmTopicArn"
	KeyAlarmTopicKmsKeyID = "alarmTopicKmsKeyId"
	KeyDashboard          = "dashboard"
)

// readAlarms reads the keys of notifications and the dashboard into raw.
func readAlarms(get lookup, raw *Raw, p *Problems) {
	for key, dst := range map[string]*string{
		KeyAlarmEmail: &raw.AlarmEmail, KeyAlarmTopicArn: &raw.AlarmTopicArn, KeyAlarmTopicKmsKeyID: &raw.AlarmTopicKmsKeyID,
	} {
		if v, ok := get(key); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	if v, ok := get(KeyDashboard); ok {
		on, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			p.add(KeyDashboard, v, "must be true (a CloudWatch dashboard of the stack's NATs) or false (none)")
			return
		}
		raw.Dashboard = on
	}
}

// alarms checks what needs no cloud: one way to notify, a plausible address, a key only for the
// topic the program makes. The ARNs are checked against the stack's region by CheckAlarmTargets.
func (p *Problems) alarms(s *Settings, raw Raw) {
	s.Dashboard = raw.Dashboard
	ok := true
	if raw.AlarmEmail != "" && raw.AlarmTopicArn != "" {
		p.add(KeyAlarmTopicArn, raw.AlarmTopicArn, fmt.Sprintf("set either %s (an existing topic) or %s (a topic made for that address), not both", KeyAlarmTopicArn, KeyAlarmEmail))
		ok = false
	}
	if want := CheckAlarmEmail(raw.AlarmEmail); want != "" {
		p.add(KeyAlarmEmail, raw.AlarmEmail, want)
		ok = false
	}
	if raw.AlarmTopicKmsKeyID != "" && raw.AlarmEmail == "" {
		p.add(KeyAlarmTopicKmsKeyID, raw.AlarmTopicKmsKeyID, fmt.Sprintf("encrypts the topic the program makes for %s, which is not set; leave it unset", KeyAlarmEmail))
		ok = false
	}
	if ok {
		s.AlarmEmail, s.AlarmTopicArn, s.AlarmTopicKmsKeyID = raw.AlarmEmail, raw.AlarmTopicArn, raw.AlarmTopicKmsKeyID
	}
}

// CheckAlarmTargets checks the topic and key ARNs against the stack's partition and region, still
// before any resource: alarms notify a topic of their own region, and a topic's key is in its.
func CheckAlarmTargets(s Settings, partition, region string) error {
	var p Problems
	if want := CheckAlarmTopicArn(s.AlarmTopicArn, partition, region); want != "" {
		p.add(KeyAlarmTopicArn, s.AlarmTopicArn, want)
	}
	if want := CheckAlarmTopicKmsKey(s.AlarmTopicKmsKeyID, partition, region); want != "" {
		p.add(KeyAlarmTopicKmsKeyID, s.AlarmTopicKmsKeyID, want)
	}
	return p.err()
}

// The checks below serve the stack configuration and the component package's inputs alike; each
// says what is allowed, or "" for a value that is (an empty one included).

// CheckAlarmEmail accepts one plain address whose domain has a dot, as SNS e-mails it.
func CheckAlarmEmail(value string) string {
	if value == "" {
		return ""
	}
	addr, err := mail.ParseAddress(value)
	domain := value[strings.LastIndex(value, "@")+1:]
	if err != nil || addr.Name != "" || addr.Address != value || len(value) > 254 ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "must be one e-mail address such as ops@example.com (no name or angle brackets, a domain with a dot)"
	}
	return ""
}

var (
	snsTopicArnPattern = regexp.MustCompile(`^arn:([a-z-]+):sns:([a-z0-9-]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	kmsArnPattern      = regexp.MustCompile(`^arn:([a-z-]+):kms:([a-z0-9-]+):[0-9]{12}:((key|alias)/.+)$`)
	kmsKeyIDPattern    = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	kmsAliasPattern    = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
)

// CheckAlarmTopicArn accepts the ARN of an SNS topic in the stack's partition and region.
func CheckAlarmTopicArn(value, partition, region string) string {
	m := snsTopicArnPattern.FindStringSubmatch(value)
	want := fmt.Sprintf("arn:%s:sns:%s:<account>:<topic name>", partition, region)
	switch {
	case value == "":
		return ""
	case m == nil:
		return "must be an SNS topic ARN, " + want
	case m[1] != partition || m[2] != region:
		return fmt.Sprintf("is a topic in %s (partition %s); the stack's alarms are in %s (partition %s) and notify a topic there: %s",
			m[2], m[1], region, partition, want)
	}
	return ""
}

// CheckAlarmTopicKmsKey accepts a customer managed KMS key for the alarm topic: a key id, alias
// name, key ARN or alias ARN, the ARNs in the stack's partition and region. An AWS managed key
// (alias/aws/...) is refused: CloudWatch can publish to an encrypted topic only when the key's
// policy allows it, and AWS managed keys' policies cannot be changed.
func CheckAlarmTopicKmsKey(value, partition, region string) string {
	if value == "" {
		return ""
	}
	ref, isArn := value, false
	if m := kmsArnPattern.FindStringSubmatch(value); m != nil {
		if m[1] != partition || m[2] != region {
			return fmt.Sprintf("is a key of %s (partition %s); the topic is in %s (partition %s) and needs a key there", m[2], m[1], region, partition)
		}
		ref, isArn = m[3], true
	}
	switch id, isKey := strings.CutPrefix(ref, "key/"); {
	case strings.HasPrefix(ref, "alias/aws/"):
		return "is an AWS managed key, whose policy does not let CloudWatch use it and cannot be changed: give a customer managed key " +
			"whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*, or leave it unset for a key made for the topic"
	case kmsAliasPattern.MatchString(ref), kmsKeyIDPattern.MatchString(id) && isKey == isArn:
		return ""
	}
	return fmt.Sprintf("must be a KMS key id, alias/<name>, or a key or alias ARN (arn:%s:kms:%s:<account>:key/<id>)", partition, region)
}
