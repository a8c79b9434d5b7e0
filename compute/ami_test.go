package compute

import "testing"

func TestArchitecture(t *testing.T) {
	for instanceType, want := range map[string]string{
		"t4g.nano": "arm64", "t4g.micro": "arm64", "c7gn.large": "arm64", "m6gd.xlarge": "arm64",
		"x2gd.medium": "arm64", "im4gn.large": "arm64", "is4gen.medium": "arm64", "g5g.xlarge": "arm64",
		"hpc7g.4xlarge": "arm64", "a1.medium": "arm64", "r8g.large": "arm64",
		"t3.micro": "x86_64", "t3a.nano": "x86_64", "t2.micro": "x86_64", "m7i-flex.large": "x86_64",
		"g4ad.xlarge": "x86_64", "g4dn.xlarge": "x86_64", "c5n.large": "x86_64", "inf2.xlarge": "x86_64",
	} {
		if got := Architecture(instanceType); got != want {
			t.Errorf("Architecture(%q) = %s, want %s", instanceType, got, want)
		}
	}
}

func TestOnlyBurstableTypesGetCreditSettings(t *testing.T) {
	for instanceType, want := range map[string]bool{
		"t4g.nano": true, "t3.micro": true, "t3a.small": true, "t2.micro": true,
		"trn1.2xlarge": false, "m7g.large": false, "c6gn.medium": false,
	} {
		if got := hardenedInstanceArgs(InstanceSettings{InstanceType: instanceType}, "x").CreditSpecification != nil; got != want {
			t.Errorf("%s: credit specification set = %v, want %v", instanceType, got, want)
		}
	}
}
