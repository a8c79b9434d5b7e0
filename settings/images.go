package settings

import "regexp"

// amiPattern is an EC2 image id: "ami-" and 8 or 17 hex digits.
var amiPattern = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// images checks the pinned AMI ids. Whether each exists with the right architecture is asked
// of AWS before the first resource (compute.ResolveImage).
func (p *Problems) images(s *Settings, raw Raw) {
	for _, img := range []struct {
		key, value string
		dst        *string
	}{
		{KeyNatAmiID, raw.NatAmiID, &s.NatAmiID},
		{KeyPrivateAmiID, raw.PrivateAmiID, &s.PrivateAmiID},
	} {
		if img.value != "" && !amiPattern.MatchString(img.value) {
			p.add(img.key, img.value, "must be an AMI id such as ami-0123456789abcdef0, or unset for the current Amazon Linux 2023")
			continue
		}
		*img.dst = img.value
	}
}
