// Package top is the view model of `ddm top`: it turns what the agent last
// read from each port (the decoded module, its VDM values, the firing
// alarms, forecasts where there are any) into one row per port — the worst
// lane's margin to its power thresholds in dB, naming the lane and the
// limit, pre-FEC BER, temperature, power, set flags, alarms — and renders
// the port table or one port's per-lane table to a string of a given width
// and height. It does no I/O and reads no clock: the terminal program
// (cmd/ddm) feeds it ports and keys and draws what it renders, and the
// tests compare its screens with golden files.
package top
