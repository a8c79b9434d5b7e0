// nat-instance builds the AWS "NAT instance" lab in one `pulumi up`. The program itself lives in
// package lab, so that the tests and the network twin can run exactly what Pulumi runs.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"nat-instance/lab"
)

func main() {
	pulumi.Run(lab.Program)
}
