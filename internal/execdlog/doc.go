// Package execdlog writes log lines the way Telegraf's execd plugins read a
// child's standard error: each line starts with its level, "E! ", "W! ",
// "I! " or "D! ". Telegraf logs a line without one as an error, so a
// program run under execd that logs plainly floods Telegraf's log with
// false errors.
package execdlog
