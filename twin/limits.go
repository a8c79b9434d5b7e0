package twin

import (
	"time"

	"nat-instance/natpair"
)

// The bounds of the pair checks' waits, derived from the timers a takeover runs on: keepalived's
// (compute's constants, which the members' keepalived.conf is rendered from), the identity
// check's interval, and the AWS stand-in's call delay, effect delay and describe lag.

// detection is how long keepalived takes to act on an active member that died or fails: the
// master-down interval, 3 adverts plus a skew below one advert (RFC 5798, section 6.1), or the
// health check's fall failures in a row, each at most its interval plus its timeout.
func (o Options) detection() time.Duration {
	advert := natpair.AdvertInterval * time.Second
	health := natpair.HealthFall * (natpair.HealthInterval + natpair.HealthTimeout) * time.Second
	return max(4*advert, health)
}

// ec2Round is one round of a takeover's EC2 calls: a call, then its effect on the network.
func (o Options) ec2Round() time.Duration { return o.awsCallDelay() + o.awsEffectDelay() }

// failoverProtocol is what a takeover takes by the protocol: detection, two rounds of calls (the
// address and the routes, then the Elastic IP), and one repair: the next identity check, a
// describe that may still show the old state (EC2's eventual consistency), two rounds again.
func (o Options) failoverProtocol() time.Duration {
	return o.detection() + 2*o.ec2Round() + natpair.CheckInterval*time.Second + o.awsDescribeLag() + 2*o.ec2Round()
}

// failoverLimit bounds a failover's waits: twice the protocol's time. What the machine adds
// (processes started, packets through a dozen namespaces) stays well below the protocol's own
// time when the members running at once are bounded (budget.go), so a limit reached is a failure,
// not a slow machine.
func (o Options) failoverLimit() time.Duration { return 2 * o.failoverProtocol() }

// quietWindow is how long "nothing moves" is watched: keepalived's detection and a takeover's
// calls, so that whatever was about to move has moved.
func (o Options) quietWindow() time.Duration { return o.detection() + 2*o.ec2Round() }

// f.patience bounds how long a busy flow waits for its echo: more than failoverLimit, since
// TCP's retransmission backoff (doubling from 200 ms) can add as much again as the stall lasted. A
// survivor waits far less; only a broken flow waits it out. A quiet flow's exchange after the
// fault starts once the identity is whole, with nothing in backoff: failoverLimit bounds it.
func (o Options) flowPatience() time.Duration { return 2 * o.failoverLimit() }

// checkLimit bounds one twin's checks, from its start (after it got its share of the machine,
// budget.go): the longest pair check waits on a handful of takeovers, each bounded by
// failoverLimit, and each fault check's takeovers one takeoverLimit each.
func (o Options) checkLimit() time.Duration {
	return 4*o.failoverLimit() + time.Duration(o.takeovers())*o.takeoverLimit()
}

// takeoverLimit bounds one takeover of the fault checks: the fault's own time (the longest,
// the endpoint unreachable), then a failover's bound, and the killed member's return.
func (o Options) takeoverLimit() time.Duration { return 2*o.failoverLimit() + unreachable30s.For }
