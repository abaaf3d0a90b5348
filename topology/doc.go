// Package topology is the optical topology of near-packaged optics: which
// laser of which external laser source (ELSFP) feeds which lanes of which
// optical engine, and so which switch ports. A Map is read from a platform
// file; a Correlator turns a laser's fault, warning or loss into one event
// naming every port and lane it takes down, and links those lanes' own
// alarms to it.
//
// It is pure: no I/O, no clock (times come with the samples).
package topology
