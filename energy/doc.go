// Package energy turns decoded modules into an energy view: per port the
// advertised maximum power and power class, a measured power where the
// module reports the inputs for one, the data rate of the active
// application, and watts and picojoules per bit; per switch the totals,
// watts per Tb/s and the share of ports near their power limit; and a
// comparison of each module with the reference ranges of its class
// (reference.go, documented in docs/ENERGY.md).
//
// It is pure: no I/O, no clock. The exporter writes its results
// (xcvr_energy), `ddm dump` and `ddm energy` print them.
package energy
