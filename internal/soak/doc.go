// Package soak holds the fault soak (TestSoak): the agent on the emulated
// 64-port switch, wired as `ddm run --emulate` wires it (portset opens the
// ports, pipeline takes the samples), with NACKs, hot
// plug, stuck-busy modules, refused pages, corrupted reads and slow or
// failing VDM freezes on many ports, its samples going to a real exporter
// sink. It checks that healthy ports keep their cadence, that every fault
// is reported, that corrupted bytes never become a wrong identity, and that
// goroutines, heap and file descriptors stay flat.
//
// The run is on virtual time by default: the emulated modules and the
// agent share one vclock.Virtual that the test steps, so a minute of the
// agent's life (the default DDM_SOAK, as `make test` runs it) takes a few
// seconds and keeps the same schedule on every run. DDM_SOAK_CLOCK=real
// runs it on the machine's clock instead (default 20s), as `make soak`
// does for 5m: that form also meets the real scheduler and a real
// InfluxDB's pace. DDM_SOAK_REPORT names a file for the figures;
// DDM_SOAK_INFLUX=1 sends the points to a real InfluxDB
// (internal/influxtest) instead of line protocol to io.Discard (the
// default for real-clock runs from 1m up; on virtual time the soak writes
// faster than a loaded machine's InfluxDB takes them); DDM_SOAK_INTERVAL
// sets the fast cadence (default 250ms). See docs/RELIABILITY.md.
package soak
