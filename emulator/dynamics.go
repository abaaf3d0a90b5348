package emulator

import (
	"math"
	"time"
)

// The dynamics: a module's physical values as functions of time. Everything
// but the temperature's response to load is a pure function of the clock
// (scenarios, per-lane spreads and noise are fixed by the seed), so the
// memory a module serves depends only on when it is read, not on how often.
// The temperature's first-order response to the load factor is exact for
// any spacing of updates (exponential decay composes).

// Module states (CMIS lower byte 3 bits 3-1) and data-path states (page 11h
// nibbles), crib §2.1 and §4.2.
const (
	stateLowPwr = 1
	statePwrUp  = 2
	stateReady  = 3

	dpDeactivated = 1
	dpInit        = 2
	dpActivated   = 4
	dpTxTurnOn    = 5

	laserOff     = 0
	laserRamping = 1
	laserOn      = 2
)

// Model constants.
const (
	warmupC         = 8.0              // a module is this much below its operating temperature when inserted
	loadSpanC       = 10.0             // temperature rise from load 0 to load 1
	thermalTau      = 90 * time.Second // thermal time constant
	frameSymbols    = 544              // 10-bit symbols of an RS(544,514) (KP4) codeword
	fecCorrectable  = 15               // symbol errors KP4 corrects per codeword
	fercFramesPerS  = 1e4              // FERC: sampled frames a second
	fecFramesPerS   = 106.25e9 / 5440  // KP4 codewords a second on a 100G PAM4 lane
	hostBER         = 1e-10            // host-side (electrical) pre-FEC BER
	elsSplitDB      = 6.02             // one ELSFP laser feeds four engine lanes
	elsFiberLossDB  = 1.5              // ELSFP to engine connector and fibre loss
	laneTxSpreadDB  = 1.0              // lane-to-lane spread of Tx power (peak to peak)
	laneRxSpreadDB  = 1.5              // and of Rx power
	laneBiasSpread  = 0.10             // and of bias, relative
	runawayDefaultC = 95.0             // TempRunaway target without one
	// Sensor noise: a module's monitors read a little differently at every
	// update, as a real module's ADC does (uniform, ±).
	sensorDB   = 0.05  // Tx and Rx power
	sensorBias = 0.002 // bias, relative
	sensorC    = 0.1   // module temperature
)

// sample is a module's values at one instant.
type sample struct {
	state       uint8
	dp          uint8 // data-path state of every lane (one timing for all)
	tempC, vccV float64
	aux         [3]float64
	lanes       []laneSample
	lasers      []laserSample
}

type laneSample struct {
	dp                   uint8
	txMW, biasMA, rxMW   float64
	ber, efr, hostBER    float64
	esnrDB, ltpDB        float64
	laserTempC, elsInDBm float64
	active               bool // data path activated: monitors and flags valid
	stats                *laneStats
}

type laserSample struct {
	state                  uint8
	powerMW, biasMA, voltV float64
}

// laneStats accumulate a VDM interval: min, max and average of the pre-FEC
// BER and errored-frame ratio, and the FERC count.
type laneStats struct {
	n                      int
	berMin, berMax, berSum float64
	efrMin, efrMax, efrSum float64
	ferc                   float64
}

func (s *laneStats) add(ber, efr, dt float64) {
	if s.n == 0 {
		s.berMin, s.berMax, s.efrMin, s.efrMax = ber, ber, efr, efr
	}
	s.n++
	s.berMin, s.berMax, s.berSum = math.Min(s.berMin, ber), math.Max(s.berMax, ber), s.berSum+ber
	s.efrMin, s.efrMax, s.efrSum = math.Min(s.efrMin, efr), math.Max(s.efrMax, efr), s.efrSum+efr
	s.ferc += efr * dt * fercFramesPerS
}

// model is the immutable part of a module's dynamics.
type model struct {
	p      *Profile
	c      *config
	lanes  int
	spread []laneSpread
	els    *model // laser source feeding this engine, if linked
	// los reports a pulse of FaultLOSPulses on lane i at t (nil: none).
	los func(i int, t time.Time) bool
}

type laneSpread struct{ tx, rx, bias, laserT float64 }

func newModel(p *Profile, c config) *model {
	md := &model{p: p, c: &c, lanes: p.Lanes}
	n := max(p.Lanes, p.Lasers)
	md.spread = make([]laneSpread, n)
	for i := range md.spread {
		md.spread[i] = laneSpread{
			tx:     (md.unit(uint64(i), 1) - 0.5) * laneTxSpreadDB,
			rx:     (md.unit(uint64(i), 2) - 0.5) * laneRxSpreadDB,
			bias:   (md.unit(uint64(i), 3) - 0.5) * laneBiasSpread,
			laserT: (md.unit(uint64(i), 4) - 0.5) * 2,
		}
	}
	if c.laserSource != nil && c.laserSource.md != nil && c.laserSource.md.p.Lasers > 0 {
		md.els = c.laserSource.md
	}
	return md
}

// splitmix64 finaliser: a good 64-bit mix.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unit is a number in [0, 1) fixed by the seed and the keys.
func (md *model) unit(keys ...uint64) float64 {
	h := mix(md.c.seed)
	for _, k := range keys {
		h = mix(h ^ k)
	}
	return float64(h>>11) / (1 << 53)
}

// drift is a slow sinusoid of amplitude amp and the given period, with a
// phase fixed by the seed and key.
func (md *model) drift(t time.Time, key uint64, amp float64, period time.Duration) float64 {
	ph := 2 * math.Pi * md.unit(key, 100)
	x := 2*math.Pi*t.Sub(md.c.origin).Seconds()/period.Seconds() + ph
	return amp * math.Sin(x)
}

// jitter is uniform noise in [-1, 1), new every update interval.
func (md *model) jitter(t time.Time, key uint64) float64 {
	tick := uint64(t.Sub(md.c.origin) / md.c.update)
	return 2*md.unit(key, 200, tick) - 1
}

// moduleState returns the CMIS module state e after insertion.
func (md *model) moduleState(e time.Duration) uint8 {
	tm := md.c.timings
	switch {
	case e < tm.LowPwr:
		return stateLowPwr
	case e < tm.LowPwr+tm.PwrUp:
		return statePwrUp
	}
	return stateReady
}

// dpState returns the data-path state of a used lane e after insertion.
func (md *model) dpState(e time.Duration) uint8 {
	tm := md.c.timings
	r := e - tm.LowPwr - tm.PwrUp
	switch {
	case r < 0:
		return dpDeactivated
	case r < tm.DPInit:
		return dpInit
	case r < tm.DPInit+tm.TxTurnOn:
		return dpTxTurnOn
	}
	return dpActivated
}

// laserState returns an ELSFP laser's state e after insertion.
func (md *model) laserState(e time.Duration) uint8 {
	tm := md.c.timings
	r := e - tm.LowPwr - tm.PwrUp
	switch {
	case r < 0:
		return laserOff
	case r < tm.LaserRamp:
		return laserRamping
	}
	return laserOn
}

// fadeDB returns the dB lost on lane by fades of kind k at t.
func (md *model) fadeDB(k DegradationKind, lane int, t time.Time) float64 {
	loss := 0.0
	for _, d := range md.c.degradations {
		if d.Kind != k || !d.appliesTo(lane) {
			continue
		}
		if e, ok := d.progress(md.c.origin, t); ok {
			loss += d.Rate * e.Hours()
		}
	}
	return loss
}

// runawayC returns the temperature rise of TempRunaway degradations at t,
// for a module otherwise at tempC.
func (md *model) runawayC(t time.Time, tempC float64) float64 {
	rise := 0.0
	for _, d := range md.c.degradations {
		if d.Kind != TempRunaway {
			continue
		}
		e, ok := d.progress(md.c.origin, t)
		if !ok {
			continue
		}
		target := d.Target
		if target == 0 {
			target = runawayDefaultC
		}
		rise = math.Max(rise, math.Min(d.Rate*e.Minutes(), math.Max(target-tempC, 0)))
	}
	return rise
}

// berAt applies the BER ramps of kind k (BERRamp on the media side,
// HostErrors on the host side) of lane to the BER at t.
func (md *model) berAt(k DegradationKind, lane int, t time.Time, ber float64) float64 {
	for _, d := range md.c.degradations {
		if d.Kind != k || !d.appliesTo(lane) {
			continue
		}
		e, ok := d.progress(md.c.origin, t)
		if !ok {
			continue
		}
		frac := 1.0
		if d.Duration > 0 {
			frac = float64(e) / float64(d.Duration)
		}
		ber = math.Pow(10, (1-frac)*math.Log10(ber)+frac*math.Log10(d.Target))
	}
	return ber
}

// laserPowerMW is the output of ELSFP laser i at t: zero while the module
// is absent or the laser off, half while it ramps.
func (md *model) laserPowerMW(i int, t time.Time) float64 {
	present, inserted := presenceAt(md.c, t)
	if !present {
		return 0
	}
	st := md.laserState(t.Sub(inserted))
	if st == laserOff || md.laserFailed(i, t) {
		return 0
	}
	dbm := md.p.LaserPowerDBm + md.spread[i].tx*0.3 + md.drift(t, uint64(i)<<8|11, 0.05, 19*time.Minute) -
		md.fadeDB(TxFade, i, t)
	p := mW(dbm)
	if st == laserRamping {
		p /= 2
	}
	return p
}

// laserFailed reports whether a LaserFault holds laser i at t.
func (md *model) laserFailed(i int, t time.Time) bool {
	for _, d := range md.c.degradations {
		if d.Kind == LaserFault && d.appliesTo(i) && d.within(md.c.origin, t) {
			return true
		}
	}
	return false
}

// laserOf returns the laser (0-based) of the source lighting engine lane i
// (0-based): from the platform's feeds when it names them, else the
// lasers in order, each an equal share. lit is false for a lane no feed
// names.
func (md *model) laserOf(i int) (laser int, lit bool) {
	if len(md.c.laserFeeds) == 0 {
		return defaultLaser(i, md.els.p.Lasers, md.p.Lanes), true
	}
	for _, f := range md.c.laserFeeds {
		for _, l := range f.Lanes {
			if l == i+1 {
				return f.Laser - 1, true
			}
		}
	}
	return 0, false
}

// elsInputDBm is the external-laser input power of engine lane i at t.
func (md *model) elsInputDBm(i int, t time.Time) float64 {
	if md.els == nil {
		return md.p.ELSInputDBm + md.drift(t, uint64(i)<<8|12, 0.05, 21*time.Minute)
	}
	laser, lit := md.laserOf(i)
	if !lit {
		return -40
	}
	p := md.els.laserPowerMW(laser, t)
	if p <= 0 {
		return -40
	}
	return dBm(p) - elsSplitDB - elsFiberLossDB + md.drift(t, uint64(i)<<8|12, 0.03, 7*time.Minute)
}

// dynState is the mutable part: reset at every insertion.
type dynState struct {
	thermal float64
	last    time.Time
	started bool
	stats   []laneStats
}

func newDynState(lanes int) *dynState {
	return &dynState{thermal: -warmupC, stats: make([]laneStats, lanes)}
}

// sampleAt computes the module's values at t, inserted at inserted, with
// load factor load, and advances the thermal state and (unless frozen) the
// VDM statistics.
func (md *model) sampleAt(t, inserted time.Time, load float64, st *dynState, frozen bool) *sample {
	p := md.p
	dt := 0.0
	if st.started {
		dt = math.Max(t.Sub(st.last).Seconds(), 0)
	}
	st.last, st.started = t, true
	target := (load - 0.5) * loadSpanC
	st.thermal = target + (st.thermal-target)*math.Exp(-dt/thermalTau.Seconds())

	e := t.Sub(inserted)
	s := &sample{state: md.moduleState(e), dp: md.dpState(e)}
	if s.state == stateReady && md.faultActive(FaultModule, t) {
		s.state, s.dp = stateFault, dpDeactivated // no light, no monitors
	}
	base := p.TempC + st.thermal + md.drift(t, 1, 0.3, 17*time.Minute) + sensorC*md.jitter(t, 9)
	s.tempC = base + md.runawayC(t, base)
	dT := s.tempC - p.TempC
	s.vccV = p.VccV + md.drift(t, 2, 0.004, 23*time.Minute) - 0.01*load
	for i, a := range p.Aux {
		switch a.Role {
		case AuxLaserTemperature:
			s.aux[i] = a.Nominal + 0.3*dT + md.drift(t, 3, 0.1, 11*time.Minute)
		case AuxTECCurrent:
			s.aux[i] = a.Nominal + 1.5*dT + md.drift(t, 4, 0.5, 13*time.Minute)
		case AuxVcc2:
			s.aux[i] = a.Nominal + md.drift(t, 5, 0.002, 29*time.Minute)
		}
	}
	s.lanes = make([]laneSample, p.Lanes)
	for i := range s.lanes {
		md.lane(&s.lanes[i], i, t, s.dp, dT, s.aux)
		if s.lanes[i].active && !frozen {
			st.stats[i].add(s.lanes[i].ber, s.lanes[i].efr, dt)
		}
		s.lanes[i].stats = &st.stats[i]
	}
	s.lasers = make([]laserSample, p.Lasers)
	for i := range s.lasers {
		l := &s.lasers[i]
		l.state = md.laserState(e)
		l.powerMW = md.laserPowerMW(i, t)
		fade := md.fadeDB(TxFade, i, t)
		if l.state != laserOff {
			l.biasMA = p.LaserBiasMA * (1 + md.spread[i].bias) * (1 + 0.05*fade + 0.004*dT)
			l.voltV = p.LaserVoltageV * (1 + 0.1*(l.biasMA/math.Max(p.LaserBiasMA, 1)-1))
		}
	}
	return s
}

// lane fills lane i's values.
func (md *model) lane(l *laneSample, i int, t time.Time, dp uint8, dT float64, aux [3]float64) {
	p := md.p
	l.dp = dp
	l.active = l.dp == dpActivated
	l.laserTempC = p.TempC + 4 + 0.3*dT + md.spread[i].laserT
	for k, a := range p.Aux {
		if a.Role == AuxLaserTemperature {
			l.laserTempC = aux[k] + md.spread[i].laserT
		}
	}
	l.elsInDBm = md.elsInputDBm(i, t)
	if !l.active {
		l.ber, l.efr, l.hostBER, l.esnrDB, l.ltpDB = 0, 0, 0, 0, 0
		return
	}
	key := uint64(i) << 8
	txFade := md.fadeDB(TxFade, i, t)
	climbMA, ageLossDB := md.ageing(i, t)
	var txDBm float64
	if p.ModulatorLossDB > 0 {
		txDBm = l.elsInDBm - p.ModulatorLossDB + md.spread[i].tx*0.5
	} else {
		txDBm = p.TxPowerDBm + md.spread[i].tx + md.drift(t, key|1, 0.1, 31*time.Minute) - 0.02*dT - txFade - ageLossDB +
			sensorDB*md.jitter(t, key|8)
	}
	l.txMW = mW(txDBm)
	if !p.NoBias {
		l.biasMA = p.BiasMA * (1 + md.spread[i].bias) * (1 + 0.01*dT) * (1 + 0.05*txFade) * (1 + sensorBias*md.jitter(t, key|9))
		l.biasMA += climbMA * (1 + md.spread[i].bias)
	}
	rxDBm := p.RxPowerDBm + md.spread[i].rx + md.drift(t, key|2, 0.15, 13*time.Minute) - md.fadeDB(RxFade, i, t) +
		sensorDB*md.jitter(t, key|10)
	if md.faultActive(FaultFiberCut, t) || (md.los != nil && md.los(i, t)) {
		rxDBm = cutRxDBm + md.drift(t, key|2, 0.15, 13*time.Minute)
	}
	l.rxMW = mW(rxDBm)
	ber := p.BER * math.Pow(10, p.BERSlope*(p.RxPowerDBm-rxDBm)+0.15*md.jitter(t, key|3))
	ber = math.Min(math.Max(md.berAt(BERRamp, i, t, ber), 1e-20), 0.5)
	l.ber = ber
	l.efr = md.countedFrames(uncorrectableFrameRatio(ber), t, key|7)
	l.hostBER = math.Min(md.berAt(HostErrors, i, t, hostBER*math.Pow(10, 0.3*md.jitter(t, key|4))), 0.5)
	decades := math.Log10(ber) - math.Log10(math.Max(p.BER, 1e-20))
	l.esnrDB = p.ESNRDB - 1.25*decades + 0.1*md.jitter(t, key|5)
	l.ltpDB = p.LTPDB - 1.0*decades + 0.1*md.jitter(t, key|6)
}

// presenceAt reports whether a module with config c is plugged in at t, and
// since when (the end of its latest unplug, or its insertion time).
func presenceAt(c *config, t time.Time) (bool, time.Time) {
	ins := c.insertion
	for _, f := range c.faults {
		if f.Kind != FaultUnplug {
			continue
		}
		if f.active(c.origin, t) {
			return false, ins
		}
		if end, ok := f.lastEnd(c.origin, t); ok && end.After(ins) {
			ins = end
		}
	}
	if t.Before(ins) {
		return false, ins
	}
	return true, ins
}

// uncorrectableFrameRatio is the share of RS(544,514) codewords that carry
// more symbol errors than KP4 corrects (15), for independent bit errors at
// ber: symbol errors are Poisson with mean 544·p_sym. CMIS VDM "errored
// frames" count frames the FEC could not correct (countedFrames), so a
// healthy link reads 0 and the ratio only leaves 0 near and above the KP4
// BER limit (2.4e-4).
func uncorrectableFrameRatio(ber float64) float64 {
	psym := -math.Expm1(10 * math.Log1p(-ber))
	lambda := frameSymbols * psym
	// Sum the tail from k = 16 directly (no 1 - (1 - tiny) cancellation).
	term := math.Exp(-lambda + (fecCorrectable+1)*math.Log(lambda) - lgammaInt(fecCorrectable+2))
	sum := 0.0
	for k := fecCorrectable + 1; k < fecCorrectable+200 && term > sum*1e-17; k++ {
		sum += term
		term *= lambda / float64(k+1)
	}
	return math.Min(sum, 1)
}

// countedFrames turns the expected share of uncorrectable codewords into
// what a module reports: whole codewords out of those of one update
// interval. A module counts frames; a ratio that stands for less than one
// frame in the interval (5e-21 at a BER of 1e-5, which F16 encodes) is
// mostly 0, and one frame as often as the fraction says (rounding up with
// that probability, seeded, so the average is kept).
func (md *model) countedFrames(ratio float64, t time.Time, key uint64) float64 {
	n := fecFramesPerS * md.c.update.Seconds()
	x := ratio * n
	k := math.Floor(x)
	if md.unit(key, 300, uint64(t.Sub(md.c.origin)/md.c.update)) < x-k {
		k++
	}
	return math.Min(k/n, 1)
}

func lgammaInt(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}
