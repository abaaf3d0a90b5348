package grafana

import (
	"strconv"
	"text/template"
	"text/template/parse"

	"github.com/ddm-agent/ddm/schema"
)

// Summaries: a ddm rule's summary is a text/template over
// alarm.TemplateData ({{.Port}}, {{printf "%.2e" .Value}}); Grafana
// annotations are Go templates too, over $labels and $values. The
// translation rewrites the template's tree: fields become the alert
// instance's labels and the values of the rule's expressions, or
// constants where the rule fixes them.

// tmplRefs says what a translated summary may refer to.
type tmplRefs struct {
	value     node // .Value
	threshold node // .Threshold
	usesValue bool // set by translate: the template reads .Value
	usesThr   bool // ... .Threshold
	rule      string
	metric    string
	obs       string
}

// node builders for the rewritten tree.
type node func() parse.Node

func variable(idents ...string) node {
	return func() parse.Node { return &parse.VariableNode{NodeType: parse.NodeVariable, Ident: idents} }
}

func number(v float64) node {
	return func() parse.Node {
		return &parse.NumberNode{NodeType: parse.NodeNumber, IsFloat: true, Float64: v, Text: strconv.FormatFloat(v, 'g', -1, 64)}
	}
}

func str(s string) node {
	return func() parse.Node {
		return &parse.StringNode{NodeType: parse.NodeString, Quoted: strconv.Quote(s), Text: s}
	}
}

// translateSummary rewrites a ddm summary template for Grafana; ok is
// false when the template cannot be parsed or uses something that has no
// counterpart (then the caller writes its own summary).
func translateSummary(text string, refs *tmplRefs) (string, bool) {
	t, err := template.New("summary").Option("missingkey=zero").Parse(text)
	if err != nil || t.Tree == nil {
		return "", false
	}
	ok := true
	var walk func(n parse.Node) parse.Node
	field := func(f *parse.FieldNode) parse.Node {
		rest := f.Ident[1:]
		var nb node
		switch f.Ident[0] {
		case "Port":
			nb = variable("$labels", schema.TagPort)
		case "Lane":
			nb = variable("$labels", schema.TagLane)
		case "Severity":
			nb = variable("$labels", schema.TagSeverity)
		case "Labels":
			return &parse.VariableNode{NodeType: parse.NodeVariable, Ident: append([]string{"$labels"}, rest...)}
		case "Value":
			refs.usesValue = true
			nb = refs.value
		case "Threshold":
			refs.usesThr = true
			nb = refs.threshold
		case "Rule":
			nb = str(refs.rule)
		case "Metric":
			nb = str(refs.metric)
		case "Observable":
			nb = str(refs.obs)
		case "State":
			nb = str("firing")
		case "Limit", "Since":
			nb = str("")
		case "Identifier", "Vendor", "PartNumber", "Serial":
			// Identity is in xcvr_info, not in the alert's series.
			nb = str("?")
		}
		if nb == nil || len(rest) > 0 {
			ok = false
			return f
		}
		return nb()
	}
	walk = func(n parse.Node) parse.Node {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return x
			}
			for i, c := range x.Nodes {
				x.Nodes[i] = walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return x
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for i, a := range x.Args {
				x.Args[i] = walk(a)
			}
		case *parse.FieldNode:
			return field(x)
		case *parse.ChainNode:
			x.Node = walk(x.Node)
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.WithNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.TemplateNode, *parse.BreakNode, *parse.ContinueNode:
			ok = false
		case *parse.DotNode:
			ok = false // the whole TemplateData has no counterpart
		}
		return n
	}
	walk(t.Tree.Root)
	if !ok {
		return "", false
	}
	return t.Tree.Root.String(), true
}
