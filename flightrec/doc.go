// Package flightrec is the flight recorder: per port, a ring of the last
// minute of full-rate readings (each fast read's lanes and module
// monitors with their latched flags, each VDM read's observables per
// lane, and the flags each flag scan saw), sized by the port's module
// (its lanes and VDM observables) and the cadences, so its memory follows
// the hardware. When a link fault or an alarm fires (Trigger), the
// readings of the window before it (default 60 s) are handed out at once,
// and those of the window after it (default 30 s) as they arrive (Add), as
// one flight named by its first trigger, so a dashboard can show the last
// minute before a lane went dark.
//
// A trigger on a port whose flight is still open (its time at or before
// the end of the after-window) joins that flight: it is recorded with its
// time and cause and extends the after-window (at most MaxAfterFactor
// times After past the opening trigger), so one pulse that latches several
// flags, or a flag and the alarm it causes, is one flight. A reading is
// handed out once. A reading or trigger older than the open flight's
// window before ends it: the wall clock stepped back, and the flight
// must not take every reading until the clock catches up with its end.
//
// It reads no clock: the pipeline feeds it and writes the flights as
// xcvr_flight and xcvr_flight_trigger points. Its only I/O is its journal
// in the agent's state folder (SaveFile, LoadPort: what changed appended
// as JSON lines, rewritten when it has doubled or would pass its bound,
// MaxJournalBytes, the oldest whole flights dropped and counted), which
// ddm dump --flight prints. Neither the rewrite nor LoadPort holds the
// journal in memory: they stream it. A flight lists at most MaxTriggers
// triggers and spans at most Before + MaxAfterFactor × After, so a port
// that flaps for ever makes a chain of bounded flights.
package flightrec
