// Package soak holds the fault soak (TestSoak): the agent on the emulated
// 64-port switch, wired as `ddm run --emulate` wires it, with NACKs, hot
// plug, stuck-busy modules, refused pages, corrupted reads and slow or
// failing VDM freezes on many ports, its samples going to a real exporter
// sink. It checks that healthy ports keep their cadence, that every fault
// is reported, that corrupted bytes never become a wrong identity, and that
// goroutines, heap and file descriptors stay flat.
//
// The run lasts DDM_SOAK (default 20s, as `make test` runs it; `make soak`
// sets 5m). DDM_SOAK_REPORT names a file for the figures; DDM_SOAK_INFLUX=1
// sends the points to a real InfluxDB (internal/influxtest) instead of line
// protocol to io.Discard (the default from 1m up); DDM_SOAK_INTERVAL sets
// the fast cadence (default 250ms). See docs/RELIABILITY.md.
package soak
