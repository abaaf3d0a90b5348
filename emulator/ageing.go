package emulator

import (
	"math"
	"time"
)

// The slow degradations a forecast looks for and the faults that end a
// link, as the likely-cause classifier needs to tell them apart: laser
// ageing (bias up, Tx power holding then falling), host-side errors (host
// BER up, media side clean), a fibre cut (no light on any lane, Tx
// healthy) and a module fault (ModuleFault state).

const (
	stateFault = 5 // CMIS ModuleFault (lower byte 3 bits 3-1)
	// faultCause is lower byte 41 while FaultModule is active: the first
	// custom cause, so it is not taken for one of the causes CMIS names
	// (TEC runaway would read as thermal).
	faultCause = 32
	// cutRxDBm is the Rx power of a cut fibre: stray light well under
	// every module's LOS level.
	cutRxDBm = -40.0
	// kp4BER is the pre-FEC BER KP4 (RS(544,514)) corrects to 1e-15 and
	// below.
	kp4BER = 2.4e-4
	// defaultAgeingBiasMA is where an ageing laser's bias levels off
	// without a Target: lasers of this class are seen to climb toward a
	// plateau near 65 mA before they fail.
	defaultAgeingBiasMA = 65.0
)

// faultActive reports whether a fault of kind k is active at t.
func (md *model) faultActive(k FaultKind, t time.Time) bool {
	for _, f := range md.c.faults {
		if f.Kind == k && f.active(md.c.origin, t) {
			return true
		}
	}
	return false
}

// ageing returns what LaserAgeing does to lane i at t: how many mA its
// bias has climbed (before the lane's spread) and how many dB its Tx power
// has lost.
func (md *model) ageing(i int, t time.Time) (climbMA, lossDB float64) {
	for _, d := range md.c.degradations {
		if d.Kind != LaserAgeing || !d.appliesTo(i) {
			continue
		}
		e := t.Sub(md.c.origin) - d.Start
		if e < 0 || d.Duration <= 0 {
			continue
		}
		climbMA += ageingTarget(d, md.p.BiasMA) * -math.Expm1(-3*min(e, d.Duration).Seconds()/d.Duration.Seconds())
		if e > d.Duration {
			lossDB += d.Rate * (e - d.Duration).Hours()
		}
	}
	return climbMA, lossDB
}

// ageingTarget is how far the bias of a laser at nominal mA climbs: to
// Target (default 65 mA), or by a fifth when the laser already runs at or
// above it.
func ageingTarget(d Degradation, nominal float64) float64 {
	target := d.Target
	if target == 0 {
		target = defaultAgeingBiasMA
	}
	if target <= nominal {
		return nominal / 5
	}
	return target - nominal
}
