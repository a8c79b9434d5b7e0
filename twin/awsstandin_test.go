package twin

import (
	"strings"
	"testing"
)

// The stand-in accepts exactly the notify script's calls and refuses anything else, naming why.
func TestAWSStandInSyntax(t *testing.T) {
	ok := [][]string{
		strings.Fields("--region r ec2 assign-private-ip-addresses --network-interface-id eni-1 --private-ip-addresses 10.0.0.5 --allow-reassignment"),
		strings.Fields("--region r ec2 associate-address --allocation-id eipalloc-1 --network-interface-id eni-1 --private-ip-address 10.0.0.5 --allow-reassociation"),
		strings.Fields("--region r ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-1"),
	}
	for _, args := range ok {
		if _, err := parseAWS(args); err != nil {
			t.Errorf("%q refused: %v", args, err)
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-1", "expected `aws --region"},
		{"--region r ec2 replace-routes --route-table-id rtb-1", "invalid choice"},
		{"--region r ec2 replace-route --route-table-id rtb-1 --network-interface-id eni-1", "required: --destination-cidr-block"},
		{"--region r ec2 associate-address --allocation-id a --network-interface-id e --private-ip-address 10.0.0.5 --allow-reassociate", `option "--allow-reassociate"`},
		{"--region r ec2 associate-address --allocation-id a --network-interface-id e --private-ip-address 10.0.0.5", "always passes --allow-reassociation"},
		{"--region r ec2 assign-private-ip-addresses --network-interface-id e --network-interface-id f --private-ip-addresses 10.0.0.5 --allow-reassignment", "repeated"},
		{"--region r ec2 assign-private-ip-addresses --network-interface-id --private-ip-addresses 10.0.0.5 --allow-reassignment", "valueless"},
	} {
		_, err := parseAWS(strings.Fields(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.want)
		}
	}
}
