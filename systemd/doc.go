// Package systemd holds ddm's systemd integration files — the unit
// (ddm.service), sysusers.d and tmpfiles.d entries, the udev rule for
// /dev/i2c-*, the modules-load.d entry for i2c-dev, and the example
// configuration and rules — and the tests that check them with
// systemd-analyze. It has no Go code of its own.
package systemd
