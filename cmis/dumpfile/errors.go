package dumpfile

import "fmt"

// ParseError reports where and why a dump could not be read.
//
// Text dumps give a Line (1-based). Binary dumps have Line 0 and give a byte
// Offset instead. A problem with the file as a whole (an empty file, say) has
// Line 0 and Offset -1.
type ParseError struct {
	File   string
	Line   int // 1-based line of a text dump; 0 for binary dumps
	Offset int // byte offset in a binary dump when Line is 0; -1: no position
	Msg    string
	Err    error // underlying error, if any
}

func (e *ParseError) Error() string {
	var s string
	switch {
	case e.Line > 0:
		s = fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Offset >= 0:
		s = fmt.Sprintf("%s: byte %d: %s", e.File, e.Offset, e.Msg)
	default:
		s = fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

var _ interface{ Unwrap() error } = (*ParseError)(nil)

// lineError returns a ParseError at a text line.
func lineError(file string, line int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// byteError returns a ParseError at a byte offset of a binary file.
func byteError(file string, off int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// fileError returns a ParseError about the whole file.
func fileError(file string, format string, args ...any) *ParseError {
	return &ParseError{File: file, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}
