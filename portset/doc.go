// Package portset opens the ports ddm reads, in one place for `ddm run`,
// `ddm dump`, the tests and the soak (internal/soak): from a configuration
// (its ports on i2c-dev, optoe or ethtool netlink, or the emulated platform
// it names) or from an emulated platform directly.
//
// Ports on one bus share one pager (i2c-dev: one per /dev/i2c-N; the
// emulator: one per channel bus), and the agent's bus of an emulated port
// is its root adapter, so that mux channels share their wire's worker.
// Emulated modules run on the real clock, inserted an hour before the
// platform was made (warm and ModuleReady, as on a running switch), and
// update their monitors every EmulatorUpdate, whoever opens them.
package portset
