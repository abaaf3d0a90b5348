// Package statread is how ddm's readers of its own data (the Grafana
// export, `ddm summary`, the forecast history's seeding) read a monitored
// field whether the agent wrote it at full rate or, with `ddm run
// --reduce`, as window statistics (package winstat, docs/SCHEMA.md
// "Reduced export"): one query that reads both, so a reader serves a fleet
// where some agents reduce and others do not, and an agent that changed
// mode, without knowing which.
//
// A reader names the field as written at full rate (rx_power_dbm) and the
// statistic that stands for it in a window: Mean for what a graph or a
// trend shows, Min or Max for what a low or high limit is tested on, so
// that a window's extreme is never hidden by its mean. Forms lists where
// the value is found: the field itself, and its window statistic when the
// reduced export sends one (schema.ReducedStatistics, the one list of what
// it reduces). A dBm field, which the reduced export leaves out, is read
// from the statistic of the mW field it is derived from (10·log10, only
// where the mW value is above 0, as a 0 mW read has no dBm): its minimum
// and maximum are exact, its mean is the dBm of the mean power.
package statread
