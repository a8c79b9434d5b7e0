// Command provider serves the nat-instance components as a Pulumi component package, so that a
// program in any Pulumi language can put the NAT instance into its own VPC
// (`pulumi package add`). It is a module of its own: the lab program does not build
// pulumi-go-provider and the Pulumi engine it brings.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Name is the package name: the first part of every token, nat-instance:compute:NatInstance.
const Name = "nat-instance"

// Version is the package's version, as SDKs generated from it record it.
const Version = "0.1.0"

func main() {
	provider, err := Provider()
	if err == nil {
		err = p.RunProvider(context.Background(), Name, Version, provider)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", Name, err)
		os.Exit(1)
	}
}

// Provider is the component package: its schema and its Construct.
func Provider() (p.Provider, error) {
	return infer.NewProviderBuilder().
		WithDisplayName("NAT instance").
		WithDescription("A NAT instance for a VPC you already have: an EC2 instance that forwards and masquerades "+
			"the private subnets' traffic through an Elastic IP, for a fraction of a NAT gateway's price; or a pair of "+
			"them that takes over from each other in seconds.").
		WithKeywords("aws", "nat", "vpc", "ec2", "component").
		WithComponents(infer.ComponentF(NewNatInstance), infer.ComponentF(NewNatPair)).
		Build()
}
