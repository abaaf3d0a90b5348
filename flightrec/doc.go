// Package flightrec is the flight recorder: per port, a ring of the last
// minutes of full-rate readings (each fast read's lanes and module
// monitors with their latched flags, and the flags each flag scan saw),
// preallocated and bounded. When a link fault or an alarm fires
// (Trigger), the readings of the window before it (default 60 s) are
// handed out at once, and those of the window after it (default 30 s) as
// they arrive (Add), as one flight named by its trigger, so a dashboard
// can show the last minute before a lane went dark. A reading is handed
// out once: triggers whose windows overlap share the readings, each going
// to the flight that was open when it was read (the earlier flight keeps
// what it already has, the later one gets the rest).
//
// It reads no clock: the pipeline feeds it and writes the flights as
// xcvr_flight points. Its only I/O is its own file in the agent's state
// folder (SaveFile, LoadFile: the last KeepFlights flights of each port,
// written atomically), which ddm dump --flight prints.
package flightrec
