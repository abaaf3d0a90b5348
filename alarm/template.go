package alarm

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	tparse "text/template/parse"
)

// Summary templates come from the rules file, and text/template has no
// budget of its own: {{range 100000000000}} runs for hours and a template
// can expand to any size. Rules bound both before a template is ever run:
// what a summary may do is checked on its parse tree (checkSummary), so its
// cost grows with the template's own size and the rule's labels, both
// bounded; and its output goes through a writer that stops it at
// MaxSummaryBytes, in `rules check` and in the agent alike.
const (
	// MaxSummaryBytes bounds an expanded summary; beyond it the text is
	// cut and ends with "…".
	MaxSummaryBytes = 1 << 10
	// MaxSummaryTemplate bounds a summary template's source.
	MaxSummaryTemplate = 2 << 10
	// MaxLabels bounds a rule's labels (a summary may range over them).
	MaxLabels = 32
	// maxFormatWidth bounds printf widths and precisions (%.4g, %8s).
	maxFormatWidth = 64
)

// summaryFuncs are the functions a summary may call: text/template's own,
// less call (no function values in TemplateData anyway).
var summaryFuncs = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
	"len": true, "index": true, "slice": true, "print": true, "printf": true, "println": true,
	"html": true, "js": true, "urlquery": true,
}

// checkSummary refuses what could make a summary's expansion unbounded:
// other templates ({{define}}, {{template}}, {{block}}: recursion), range
// over anything but .Labels or nested ranges (range over an integer or a
// loop in a loop), printf widths beyond maxFormatWidth or given at run time
// (%*d), and call.
func checkSummary(t *template.Template) error {
	if len(t.Templates()) > 1 {
		return errors.New("a summary is one template: {{define}} and {{block}} are not allowed")
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	return checkNode(t.Tree.Root, false)
}

// checkNode checks one node of a summary's parse tree and what is under
// it; inRange says it is inside a range.
func checkNode(n tparse.Node, inRange bool) error {
	switch x := n.(type) {
	case *tparse.ListNode:
		return checkList(x, inRange)
	case *tparse.ActionNode:
		return checkPipe(x.Pipe, inRange)
	case *tparse.PipeNode:
		return checkPipe(x, inRange)
	case *tparse.CommandNode:
		return checkCommand(x, inRange)
	case *tparse.ChainNode:
		return checkNode(x.Node, inRange)
	case *tparse.IfNode:
		return checkBranch(&x.BranchNode, inRange)
	case *tparse.WithNode:
		return checkBranch(&x.BranchNode, inRange)
	case *tparse.RangeNode:
		if inRange {
			return errors.New("a range inside a range is not allowed in a summary")
		}
		if !rangesOverLabels(x.Pipe) {
			return errors.New("a summary may range over .Labels only")
		}
		return checkBranch(&x.BranchNode, true)
	case *tparse.TemplateNode:
		return errors.New("{{template}} is not allowed in a summary")
	}
	return nil
}

func checkList(l *tparse.ListNode, inRange bool) error {
	if l == nil {
		return nil
	}
	for _, c := range l.Nodes {
		if err := checkNode(c, inRange); err != nil {
			return err
		}
	}
	return nil
}

func checkPipe(p *tparse.PipeNode, inRange bool) error {
	if p == nil {
		return nil
	}
	for _, c := range p.Cmds {
		if err := checkNode(c, inRange); err != nil {
			return err
		}
	}
	return nil
}

// checkCommand allows only the functions of summaryFuncs, with printf's
// format checked, and checks the arguments.
func checkCommand(c *tparse.CommandNode, inRange bool) error {
	if id, ok := c.Args[0].(*tparse.IdentifierNode); ok {
		if !summaryFuncs[id.Ident] {
			return fmt.Errorf("%s is not allowed in a summary", id.Ident)
		}
		if id.Ident == "printf" {
			if err := checkFormat(c); err != nil {
				return err
			}
		}
	}
	for _, a := range c.Args {
		if err := checkNode(a, inRange); err != nil {
			return err
		}
	}
	return nil
}

// checkBranch checks the pipeline and both lists of an if, with or range.
func checkBranch(b *tparse.BranchNode, inRange bool) error {
	if err := checkPipe(b.Pipe, inRange); err != nil {
		return err
	}
	if err := checkList(b.List, inRange); err != nil {
		return err
	}
	return checkList(b.ElseList, inRange)
}

// rangesOverLabels reports whether a range's pipeline is .Labels or
// $.Labels, and nothing else.
func rangesOverLabels(p *tparse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *tparse.FieldNode:
		return len(a.Ident) == 1 && a.Ident[0] == "Labels"
	case *tparse.VariableNode:
		return len(a.Ident) == 2 && a.Ident[0] == "$" && a.Ident[1] == "Labels"
	}
	return false
}

// checkFormat checks a printf call: a constant format whose widths and
// precisions are at most maxFormatWidth and never taken from arguments.
func checkFormat(c *tparse.CommandNode) error {
	if len(c.Args) < 2 {
		return nil // printf with no format prints nothing
	}
	s, ok := c.Args[1].(*tparse.StringNode)
	if !ok {
		return errors.New("printf's format must be a constant string in a summary")
	}
	f := s.Text
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		// Flags, width, precision up to the verb.
		num := 0
		for i++; i < len(f) && strings.IndexByte("+-# 0123456789.*[]", f[i]) >= 0; i++ {
			switch c := f[i]; {
			case c == '*':
				return fmt.Errorf("printf %q: a width or precision from an argument (*) is not allowed in a summary", f)
			case c >= '0' && c <= '9':
				num = num*10 + int(c-'0')
				if num > maxFormatWidth {
					return fmt.Errorf("printf %q: widths and precisions above %d are not allowed in a summary", f, maxFormatWidth)
				}
			default:
				num = 0
			}
		}
	}
	return nil
}

// limitedWriter keeps at most max bytes and fails the write that goes
// beyond, which stops the template's execution.
type limitedWriter struct {
	b   strings.Builder
	max int
	cut bool
}

var errSummaryTooLong = errors.New("summary too long")

func (w *limitedWriter) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); len(p) > room {
		w.b.Write(p[:max(room, 0)])
		w.cut = true
		return max(room, 0), errSummaryTooLong
	}
	return w.b.Write(p)
}

// expandSummary runs a summary template within MaxSummaryBytes: a longer
// expansion is cut and ends with "…"; a template that fails gives "".
func expandSummary(t *template.Template, d *TemplateData) string {
	w := &limitedWriter{max: MaxSummaryBytes}
	if err := t.Execute(w, d); err != nil && !w.cut {
		return ""
	}
	if w.cut {
		s := strings.ToValidUTF8(w.b.String(), "")
		return s + "…"
	}
	return w.b.String()
}
