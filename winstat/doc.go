// Package winstat is the reduced export (`ddm run --reduce WINDOW`): a sink
// in front of the InfluxDB writer (or the line-protocol writer) that sends
// steady-state telemetry as per-window statistics and everything that
// matters at once at full resolution.
//
// The monitored float fields of xcvr_module, xcvr_lane, xcvr_vdm,
// xcvr_laser and xcvr_energy (schema.ReducedStatistics: temperatures,
// voltages, bias, mW powers, VDM values, watts and pJ/bit) are folded per
// series (measurement and tags) into accumulators made once per series and
// field and reused for every window: min, mean, max, the times of min and
// max as ms offsets from the window's start (none for a constant), the
// window's length and sample count (field names in package schema,
// docs/SCHEMA.md). The dBm fields are left out: the mW statistics give
// their minimum and maximum exactly. Windows are aligned to the wall clock
// (a 30 s window starts at :00 and :30), and a window point is stamped with
// its start; VDM, read every 10 s, gets windows long enough for 6 reads
// (VDMWindow). InfluxDB keeps one point per series and time, so where a
// window point of the series may be stamped at the aligned start already
// (written by the process before a restart, before a module swap, or before
// the wall clock stepped back), the window starts at its first read instead
// (series.open). A read before the window's start means the clock stepped
// back: the window ends at its latest read and a new one starts at the read.
//
// Everything else keeps full resolution: the other fields of those points
// (flags, states, presence, thresholds) are sent at the sample's own time
// whenever one of them changes, so every flag set and clear is in the
// database at the time it was read; every other measurement (flag events,
// alarm transitions, counters, identity, self-telemetry) passes through
// untouched, urgent points through the inner sink's urgent lane. The alarm
// rules never see this sink: the pipeline evaluates every sample before its
// points are written.
//
// A module swap (a different serial number in the port) or an empty cage
// closes the port's windows early, so one window never mixes two modules.
// Close flushes the windows in progress (ddm run on SIGTERM); a SIGKILL
// loses them: at most one window of statistics per series, never a flag,
// flag event or alarm transition, which were written when read.
package winstat
