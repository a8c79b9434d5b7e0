package twin

import "errors"

// NATBoot is the boot command of the topology's first NAT instance, as its user data installs
// it: what the capacity rig runs.
func (topo Topology) NATBoot() (BootCommand, error) {
	nats := topo.nats()
	if len(nats) == 0 {
		return BootCommand{}, errors.New("twin: the topology has no NAT instance")
	}
	return *nats[0].Boot, nil
}
