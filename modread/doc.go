// Package modread reads one transceiver module: the probe that tells an
// empty cage from a module, the static pages (identity, advertisement,
// thresholds, VDM descriptors) with their cmis.Layout, the fast monitors
// and flags, and the VDM samples inside the freeze handshake, each decoded
// with the layout. It is the one read path: the agent schedules it, and
// `ddm dump`, `ddm rules test` and the soak read through it, so the rules
// for what a read is (what counts as partial, when the freeze is released,
// how long the handshake may take) are written once.
//
// A Reader holds no clock and no schedule: when to read what, presence,
// backoff and events belong to the caller.
package modread
