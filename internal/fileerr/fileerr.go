// Package fileerr is the error of a problem in a text file at a line — a
// configuration, rules or platform file — and the conversion of yaml.v3's
// errors ("yaml: line 7: ...") into it, so that every parser in ddm names
// the file and the line the same way.
package fileerr

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem in File at Line (0 when no line applies). Err, when
// set, is the error Msg says, for callers that branch on it.
type Error struct {
	File string
	Line int
	Msg  string
	Err  error
}

// Unwrap is the error Msg says, or nil.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// New returns an *Error with a formatted message.
func New(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// FromYAML turns a yaml.v3 error on src into an *Error: the first of a
// TypeError's messages, with the "yaml: " prefix removed and its "line N:"
// taken as the line.
//
// yaml.v3 numbers the lines of its parser errors from 0 (its scanner
// errors and type errors from 1), so an unclosed "[" on line 4 comes as
// "line 3"; those errors are moved down a line, and a line past the end of
// src (an error at the end of the stream) is the last line.
func FromYAML(file string, src []byte, err error) *Error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if te == nil && line > 0 && yamlParserProblems[msg] {
		line++
	}
	if last := lastLine(src); line > last {
		line = last
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// yamlParserProblems are the messages of yaml.v3's parser (parserc.go), as
// opposed to its scanner's, whose lines are right.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected key":              true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// lastLine is the number of the last line of src (a final newline does not
// start another line).
func lastLine(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}
