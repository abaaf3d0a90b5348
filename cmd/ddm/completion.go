package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/portset"
	"github.com/ddm-agent/ddm/top"
)

// Shell completion. `ddm completion bash|zsh|fish` prints a script that
// asks the binary itself what may come next: the script calls
// `ddm __complete WORD...` with the words before the cursor and the word
// under it, and offers what it prints, one candidate per line. A line
// ":files" asks the shell to offer file names as well. The flags are the
// commands' own flag sets, so the completion cannot drift from them.

// filesDirective is the line of `ddm __complete` that asks for file names.
const filesDirective = ":files"

func cmdCompletion(_ context.Context, e env, args []string) int {
	fs := newFlags(e, "completion")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm completion bash|zsh|fish\n\n"+
			"Prints the shell completion script: commands, flags, --emulate profiles and platform files, and the\n"+
			"port names of --config or --emulate for ddm dump and ddm top --filter. Load it with\n"+
			"  bash: source <(ddm completion bash)   (or save it as /etc/bash_completion.d/ddm)\n"+
			"  zsh:  source <(ddm completion zsh)    (after compinit)\n"+
			"  fish: ddm completion fish | source    (or save it as ~/.config/fish/completions/ddm.fish)\n")
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	script, ok := completionScripts[fs.Arg(0)]
	if !ok {
		errorf(e, "completion: unknown shell %q (bash, zsh, fish)", fs.Arg(0))
		return exitUsage
	}
	fmt.Fprint(e.stdout, script)
	return exitOK
}

var completionScripts = map[string]string{
	// bash splits words at COMP_WORDBREAKS (= and : among them), so the
	// script splits the line itself, asks for candidates for the whole
	// word, and hands bash only the part after its own word start.
	"bash": `# bash completion for ddm: source <(ddm completion bash)
_ddm() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    [[ $line =~ [[:space:]]$ ]] && words+=("")
    local cur="${words[${#words[@]}-1]}" word="${COMP_WORDS[COMP_CWORD]}" prefix=""
    [[ -n $word && $cur == *"$word" ]] && prefix="${cur%"$word"}"
    local IFS=$'\n' c files=""
    COMPREPLY=()
    for c in $("${words[0]}" __complete "${words[@]:1}" 2>/dev/null); do
        if [[ $c == ":files" ]]; then
            files=1
        else
            COMPREPLY+=("${c#"$prefix"}")
        fi
    done
    if [[ -n $files ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY+=($(compgen -f -- "$word"))
    fi
}
complete -F _ddm ddm
`,
	"zsh": `#compdef ddm
# zsh completion for ddm: source <(ddm completion zsh) after compinit
_ddm() {
    local -a cands
    local c files=0
    for c in "${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
        if [[ $c == ":files" ]]; then
            files=1
        elif [[ -n $c ]]; then
            cands+=("$c")
        fi
    done
    (( ${#cands} )) && compadd -- "${cands[@]}"
    (( files )) && _files
    return 0
}
compdef _ddm ddm
`,
	"fish": `# fish completion for ddm: ddm completion fish | source
function __ddm_complete
    set -l tokens (commandline -opc) (commandline -ct)
    for c in ($tokens[1] __complete $tokens[2..-1] 2>/dev/null)
        if test "$c" = ":files"
            __fish_complete_path (commandline -ct)
        else
            echo $c
        end
    end
end
complete -c ddm -f -a '(__ddm_complete)'
`,
}

// cmdComplete answers the completion scripts: args are the words after
// "ddm", the last one the (possibly empty) word under the cursor.
func cmdComplete(_ context.Context, e env, args []string) int {
	if len(args) == 0 {
		args = []string{""}
	}
	cands, files := completions(args)
	for _, c := range cands {
		fmt.Fprintln(e.stdout, c)
	}
	if files {
		fmt.Fprintln(e.stdout, filesDirective)
	}
	return exitOK
}

// completions returns the candidates for the last of words, and whether
// file names fit there too.
func completions(words []string) (cands []string, files bool) {
	cur := words[len(words)-1]
	if len(words) == 1 {
		names := []string{"help"}
		for _, c := range commands() {
			names = append(names, c.name)
		}
		return withPrefix(names, cur), false
	}
	path, rest := words[:1], words[1:]
	switch words[0] {
	case "help", "version":
		return nil, false
	case "completion":
		if len(rest) == 1 {
			return withPrefix([]string{"bash", "zsh", "fish"}, cur), false
		}
		return nil, false
	case "rules":
		if len(rest) == 1 && !strings.HasPrefix(cur, "-") {
			return withPrefix([]string{"check", "print-default", "test", "export"}, cur), false
		}
		path, rest = words[:2], words[2:]
	}
	fs := flagSetOf(path)
	if fs == nil {
		return nil, false
	}
	given := flagsGiven(fs, rest[:len(rest)-1])
	// --flag=VALUE
	if name, _, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "--") {
		if f := fs.Lookup(name[2:]); f != nil {
			vals, files := flagValues(path, f, given)
			return withPrefix(prefixAll(name+"=", vals), cur), files
		}
		return nil, false
	}
	if strings.HasPrefix(cur, "-") {
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, "--"+f.Name)
			}
		})
		return withPrefix(names, cur), false
	}
	// The value of the flag before, if it takes one.
	if len(rest) >= 2 {
		if f := flagNamed(fs, rest[len(rest)-2]); f != nil && f.Value.Type() != "bool" {
			vals, files := flagValues(path, f, given)
			if f.NoOptDefVal == "" {
				return withPrefix(vals, cur), files
			}
			// An optional value (--emulate): the value, or what comes
			// after the flag.
			pos, pfiles := positionals(path, given)
			return withPrefix(append(vals, pos...), cur), files || pfiles
		}
	}
	pos, files := positionals(path, given)
	return withPrefix(pos, cur), files
}

// flagSetOf returns the flag set of a command (path: "dump", or "rules"
// and its subcommand) by running it with --help on discarded output and
// keeping the flag set it builds: every command parses its flags before it
// does anything, and --help stops it there.
func flagSetOf(path []string) *pflag.FlagSet {
	var fs *pflag.FlagSet
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		onFlags: func(f *pflag.FlagSet) { fs = f }}
	for _, c := range commands() {
		if c.name == path[0] {
			c.run(context.Background(), e, append(append([]string(nil), path[1:]...), "--help"))
		}
	}
	return fs
}

// flagsGiven returns the values of the flags among words, by name; a flag
// with an optional value given without one has its default-if-present.
func flagsGiven(fs *pflag.FlagSet, words []string) map[string]string {
	given := map[string]string{}
	for i, w := range words {
		if !strings.HasPrefix(w, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(w, "=")
		f := flagNamed(fs, name)
		if f == nil {
			continue
		}
		switch {
		case hasVal:
			given[f.Name] = val
		case f.Value.Type() == "bool":
			given[f.Name] = "true"
		case f.NoOptDefVal != "":
			given[f.Name] = f.NoOptDefVal
			if i+1 < len(words) && isEmulateValue(words[i+1]) {
				given[f.Name] = words[i+1]
			}
		case i+1 < len(words):
			given[f.Name] = words[i+1]
		}
	}
	return given
}

// flagNamed looks up "--name" or "-n".
func flagNamed(fs *pflag.FlagSet, w string) *pflag.Flag {
	switch {
	case strings.HasPrefix(w, "--"):
		return fs.Lookup(w[2:])
	case strings.HasPrefix(w, "-") && len(w) == 2:
		return fs.ShorthandLookup(w[1:])
	}
	return nil
}

// flagValues are the values a flag takes, and whether they are file names.
func flagValues(path []string, f *pflag.Flag, given map[string]string) ([]string, bool) {
	switch f.Name {
	case "emulate":
		if path[0] == "rules" {
			names := []string{"default"}
			for _, s := range rulesBuiltinScenarios {
				names = append(names, s.name)
			}
			return names, true
		}
		return append([]string{"default"}, emulator.Profiles()...), true
	case "output":
		return []string{"influx", "lp"}, false
	case "sort":
		if path[0] == "top" {
			return top.SortNames(), false
		}
	case "filter":
		if path[0] == "top" {
			return portNames(given), false
		}
	case "bus-khz":
		return []string{"100", "400", "1000"}, false
	case "i2c-bus":
		return globNumbers("/dev", "i2c-"), false
	case "netlink":
		return globNames("/sys/class/net/*"), false
	case "config", "rules", "influx-token-file", "optoe", "cpuprofile", "memprofile", "grafana", "out", "state-dir":
		return nil, true
	}
	return nil, false
}

// positionals are what a command takes as arguments after its flags.
func positionals(path []string, given map[string]string) ([]string, bool) {
	switch path[0] {
	case "dump", "energy":
		return portNames(given), false
	case "emulate":
		return append([]string{"default"}, emulator.Profiles()...), true
	case "decode", "forecast":
		return nil, true
	case "rules":
		if len(path) > 1 && path[1] != "print-default" {
			return nil, true
		}
	}
	return nil, false
}

// portNames are the ports ddm dump would read with the flags given: those
// of the configuration file, or of the emulated platform. Any error means
// no names (a completion never complains).
func portNames(given map[string]string) []string {
	what := given["emulate"]
	if what == "" {
		if given["config"] == "" {
			return nil
		}
		c, err := config.Load(given["config"])
		if err != nil {
			return nil
		}
		if c.Emulate == "" {
			names := make([]string, len(c.Ports))
			for i, p := range c.Ports {
				names[i] = p.Name
			}
			return names
		}
		what = c.Emulate
	}
	pl, err := portset.Platform(what, 400*physic.KiloHertz, nil)
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range pl.Ports() {
		names = append(names, p.Name)
	}
	return names
}

// isEmulateValue reports whether the word after a space-form --emulate is
// its value (as portFlags.positional decides).
func isEmulateValue(w string) bool {
	if _, ok := emulator.LookupProfile(w); ok || strings.HasPrefix(w, emulator.FilePrefix) {
		return true
	}
	st, err := os.Stat(w)
	return err == nil && !st.IsDir() && (strings.HasSuffix(w, ".yaml") || strings.HasSuffix(w, ".yml"))
}

// globNumbers are the numbers N of the files matching dir/prefixN.
func globNumbers(dir, prefix string) []string {
	var out []string
	for _, m := range globNames(filepath.Join(dir, prefix+"*")) {
		out = append(out, strings.TrimPrefix(m, prefix))
	}
	return out
}

func globNames(pattern string) []string {
	ms, _ := filepath.Glob(pattern)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = filepath.Base(m)
	}
	return out
}

func prefixAll(p string, vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = p + v
	}
	return out
}

// withPrefix keeps the candidates that start with cur, sorted, once each.
func withPrefix(cands []string, cur string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, cur) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
