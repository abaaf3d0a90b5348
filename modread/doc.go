// Package modread reads one transceiver module: the probe that tells an
// empty cage from a module, the static pages (identity, advertisement,
// thresholds, VDM descriptors) with their cmis.Layout, the fast monitors
// and flags, and the VDM samples inside the freeze handshake, each decoded
// with the layout. It is the one read path: the agent schedules it, and
// `ddm dump`, `ddm rules test` and the soak read through it, so the rules
// for what a read is (what counts as partial, when the freeze is released,
// how long the handshake may take) are written once.
//
// It is also where the decoder meets the bus: it runs the decoder's read
// plans over an i2c.Memory (Fetch, ReadStatic, round by round), runs the
// VDM freeze handshake at the offsets cmis defines (Freeze), and gives
// every Memory the BusRules (the freeze bit, the identifiers whose A0h has
// no page select, the bank limit) as plain values, so that i2c knows no
// module standard.
//
// A Reader holds no clock and no schedule: when to read what, presence,
// backoff and events belong to the caller.
package modread
