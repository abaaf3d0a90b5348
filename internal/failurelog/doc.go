// Package failurelog keeps a failure that repeats from flooding the
// journal: an agent that writes every second (points to InfluxDB, batches
// to its spool, state files to its folder) would otherwise log the same
// full disk or refused request once a second for as long as it lasts. The
// first failure of each kind is logged at once, then a summary at most once
// a period, and the recovery once.
package failurelog
