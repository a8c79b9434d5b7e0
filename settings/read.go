package settings

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Load reads the stack configuration, applies the defaults and checks it.
func Load(ctx *pulumi.Context) (Settings, error) {
	cfg := config.New(ctx, "")
	raw, err := read(func(key string) (string, bool) {
		v, err := cfg.Try(key) // fails only for a key the stack does not set
		return v, err == nil
	})
	if err != nil {
		return Settings{}, err
	}
	return Parse(raw)
}

// lookup returns the value the stack sets for key (without the namespace), and whether it sets one.
type lookup func(key string) (string, bool)

// read puts the values the stack sets over Defaults. Only a value that is not of its key's type
// (a whole number, a boolean, a list) is a problem here; Parse checks the rest.
func read(get lookup) (Raw, error) {
	raw := Defaults
	var problems Problems
	str := func(key string, dst *string) {
		if v, ok := get(key); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	integer := func(key string, dst *int) {
		v, ok := get(key)
		if !ok {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			problems.add(key, v, "must be a whole number")
			return
		}
		*dst = n
	}
	list := func(key string, dst *[]string) {
		v, ok := get(key)
		if !ok {
			return // not set: keep the default
		}
		var items []string
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			problems.add(key, v, `must be a list of strings, e.g. ["10.40.2.101"]`)
			return
		}
		*dst = items
	}
	str(KeyVpcCidr, &raw.VpcCidr)
	integer(KeyZoneCount, &raw.ZoneCount)
	str(KeyNatStrategy, &raw.NatStrategy)
	str(KeyAvailabilityZone, &raw.AvailabilityZone)
	list(KeyAvailabilityZones, &raw.AvailabilityZones)
	str(KeyPublicSubnetCidr, &raw.PublicSubnetCidr)
	list(KeyPublicSubnetCidrs, &raw.PublicSubnetCidrs)
	str(KeyPrivateSubnetCidr, &raw.PrivateSubnetCidr)
	list(KeyPrivateSubnetCidrs, &raw.PrivateSubnetCidrs)
	str(KeyNatPrivateIP, &raw.NatPrivateIP)
	list(KeyNatPrivateIPs, &raw.NatPrivateIPs)
	readNatPair(get, &raw, &problems)
	list(KeyNatMemberIPs, &raw.NatMemberIPs)
	list(KeyPrivateInstanceIPs, &raw.PrivateInstanceIPs)
	str(KeyNatInstanceType, &raw.NatInstanceType)
	str(KeyPrivateInstanceType, &raw.PrivateInstanceType)
	str(KeyNatAmiID, &raw.NatAmiID)
	str(KeyPrivateAmiID, &raw.PrivateAmiID)
	list(KeyNatPairRoll, &raw.NatPairRoll)
	str(KeyKeyName, &raw.KeyName)
	list(KeySSHAllowedCidrs, &raw.SSHAllowedCidrs)
	readAlarms(get, &raw, &problems)
	readBoundary(get, &raw)
	return raw, problems.err()
}
