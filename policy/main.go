// The nat-instance policy pack: what the program's tests enforce on its own graph, enforced on
// any stack by `pulumi preview --policy-pack policy` (and `up`). Built on policyx, the Go policy
// SDK (experimental in Pulumi v3.274).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func main() {
	if err := policyx.Main(func(*pulumi.Context) (policyx.PolicyPack, error) { return Pack() }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
