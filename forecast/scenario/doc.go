// Package scenario generates degrading and healthy lanes with known truth
// and scores package forecast against them: the figures of
// docs/FORECAST.md. Each lane is a noise-free curve (linear, accelerating
// or dB-linear decline of optical power, bias climbing toward a plateau,
// exponential pre-FEC BER growth, or flat) plus the disturbances seen on
// real modules: white noise, a slow wander, the daily temperature cycle,
// spikes (a LOS blip, an hour of low power) and level steps (a re-seated
// connector). The truth is when the noise-free curve reaches the limit.
// Everything is deterministic for a seed.
package scenario
