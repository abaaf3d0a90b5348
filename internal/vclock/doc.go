// Package vclock is the time a scheduler waits on, real or virtual.
//
// Clock is what the agent needs of time: the wall clock (Now) that stamps
// what it records and may step, a steady reading (Steady) that never
// steps, waits bounded by a context (Sleep), timeouts (WithTimeout) and a
// way to start the goroutines that wait (Go). Real is the machine's
// clock. Virtual moves only when a test or `ddm rules test` moves it:
// Advance fires every wait that falls due, in order of due time, and
// before each next one waits until every goroutine started with Go is
// waiting on the clock again (or has ended), so what the scheduler does at
// each instant is finished before time moves on, with no sleep and no race
// between the stepping goroutine and the workers. BlockUntil waits for the
// workers to start. Step moves the wall clock alone, as NTP or `date -s`
// does, so code that keeps wall and steady time apart can be tested.
//
// A Virtual clock also satisfies the emulator's Clock (Now only), so one
// clock drives the emulated modules and the agent that reads them.
package vclock
