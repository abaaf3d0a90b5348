// Package schema names what ddm writes: every measurement, tag and field of
// the telemetry schema (docs/SCHEMA.md), declared once. The exporter builds
// its points and documents them with these names; the alarm rules, the
// Grafana dashboards, `ddm summary` and the report name the same series
// through them, so a rename is one edit the compiler carries everywhere.
//
// The flag fields (tx_fault, rx_los, temperature_high_alarm, ...) are not
// here: they are the names of the decoder's flag bits, declared with the
// bits in cmis (cmis.LaneFlagNames, cmis.ModuleFlagNames). The threshold
// quantities of cmis (cmis.QRxPower, ...) are the field names below.
//
// The package holds constants only and imports nothing.
package schema
