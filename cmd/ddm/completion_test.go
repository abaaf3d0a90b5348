package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/emulator"
)

// bashWords splits a command line the way bash fills COMP_WORDS: at white
// space, and around = and : (in COMP_WORDBREAKS), which become words of
// their own; a line ending in a space has an empty word under the cursor.
func bashWords(line string) []string {
	var words []string
	for _, f := range strings.Fields(line) {
		start := 0
		for i, r := range f {
			if r == '=' || r == ':' {
				if i > start {
					words = append(words, f[start:i])
				}
				words = append(words, string(r))
				start = i + 1
			}
		}
		if start < len(f) {
			words = append(words, f[start:])
		}
	}
	if line == "" || strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	return words
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestBashCompletion sources `ddm completion bash` in bash, runs the
// completion function on a command line as bash would present it, and
// checks COMPREPLY: commands, flags, --emulate profiles (both flag forms),
// scenario names, port names of the emulated switch and of a
// configuration file, and file names where a file goes.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to test its completion")
	}
	// `ddm` on PATH is the binary under test.
	binDir := t.TempDir()
	if err := os.Symlink(ddmBinary(t), filepath.Join(binDir, "ddm")); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(binDir, "ddm.bash")
	code, out, errs := runDDM(t, "", "completion", "bash")
	if code != exitOK {
		t.Fatalf("ddm completion bash: exit %d: %s", code, errs)
	}
	os.WriteFile(script, []byte(out), 0o644)
	// A folder with a configuration and a dump, where the completion runs.
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "switch.yaml"), []byte(`ports:
  - {name: swp1, transport: i2c, bus: 3, address: 0x50}
  - {name: swp2, transport: i2c, bus: 4, address: 0x50}
`), 0o644)
	os.WriteFile(filepath.Join(work, "module.txt"), []byte("x"), 0o644)

	for _, tc := range []struct {
		line string
		want []string // exactly, in order
		has  []string // at least
	}{
		{line: "ddm ", has: []string{"completion", "dump", "help", "rules", "run", "summary", "version"}},
		{line: "ddm du", want: []string{"dump"}},
		{line: "ddm dump --js", want: []string{"--json"}},
		{line: "ddm run --emu", want: []string{"--emulate"}},
		{line: "ddm dump --emulate=osfp-8", want: []string{"osfp-800g-dr8"}},
		{line: "ddm dump --emulate=", has: []string{"=default", "=sfp28-25g", "=osfp-800g-dr8"}},
		{line: "ddm dump --emulate sfp", want: []string{"sfp-10g-lr-extcal", "sfp28-25g"}},
		{line: "ddm dump --emulate Ethernet1/6", want: defaultPorts("Ethernet1/6")},
		{line: "ddm dump --emulate=sfp28-25g ", want: []string{"sfp28-25g"}},
		{line: "ddm dump --config switch.yaml sw", want: []string{"swp1", "swp2"}},
		{line: "ddm dump -c switch.yaml --json ", want: []string{"swp1", "swp2"}},
		{line: "ddm run --config sw", want: []string{"switch.yaml"}},
		{line: "ddm run --output ", want: []string{"influx", "lp"}},
		{line: "ddm rules ", want: []string{"check", "export", "print-default", "test"}},
		{line: "ddm rules test --emulate ", has: []string{"ber-ramp", "default", "rx-fade", "temp-runaway", "unplug"}},
		{line: "ddm rules export --f", want: []string{"--flux", "--folder"}},
		{line: "ddm decode mod", want: []string{"module.txt"}},
		{line: "ddm forecast mod", want: []string{"module.txt"}},
		{line: "ddm forecast --", want: []string{"--at", "--json"}},
		{line: "ddm completion ", want: []string{"bash", "fish", "zsh"}},
		{line: "ddm to", want: []string{"top"}},
		{line: "ddm top --so", want: []string{"--sort"}},
		{line: "ddm top --sort ", want: []string{"alarms", "ber", "margin", "port", "temperature"}},
		{line: "ddm top --emulate --filter Ethernet1/6", want: defaultPorts("Ethernet1/6")},
		{line: "ddm version ", want: nil},
	} {
		t.Run(tc.line, func(t *testing.T) {
			words := bashWords(tc.line)
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = shellQuote(w)
			}
			prog := "source " + shellQuote(script) + "\n" +
				"COMP_LINE=" + shellQuote(tc.line) + "\nCOMP_POINT=${#COMP_LINE}\n" +
				"COMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n" +
				"_ddm\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
			cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, b)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
				if l != "" {
					got = append(got, l)
				}
			}
			if tc.has == nil && strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("COMPREPLY %q, want %q", got, tc.want)
			}
			for _, h := range tc.has {
				if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+h+" ") {
					t.Errorf("COMPREPLY %q lacks %q", got, h)
				}
			}
			for _, g := range got {
				if g == filesDirective || strings.HasPrefix(g, "__") {
					t.Errorf("COMPREPLY holds %q", g)
				}
			}
		})
	}
}

// defaultPorts are the ports of the emulator's default switch whose names
// start with prefix, sorted.
func defaultPorts(prefix string) []string {
	var names []string
	for _, p := range emulator.DefaultPlatform().Ports() {
		if strings.HasPrefix(p.Name, prefix) {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// TestCompletionScripts: every shell's script parses and completes a
// line; bash is checked in full above, zsh and fish where installed (zsh
// through its completion function with compadd and _files stood in for,
// fish through complete -C).
func TestCompletionScripts(t *testing.T) {
	binDir := t.TempDir()
	if err := os.Symlink(ddmBinary(t), filepath.Join(binDir, "ddm")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	want := "--emulate=sfp-10g-lr-extcal --emulate=sfp28-25g"
	for _, sh := range []struct {
		name, check string
		run         func(script string) []string // the shell's command line
	}{
		{"bash", "-n", nil},
		{"zsh", "-n", func(script string) []string {
			return []string{"-f", "-c", "compdef() { :; }; compadd() { shift; print -rl -- \"$@\"; }; _files() { :; }; source " + shellQuote(script) +
				"; words=(ddm dump --emulate=sfp); CURRENT=3; _ddm"}
		}},
		{"fish", "--no-execute", func(script string) []string {
			return []string{"--no-config", "-c", "source " + shellQuote(script) + "; complete -C 'ddm dump --emulate=sfp'"}
		}},
	} {
		code, out, errs := runDDM(t, "", "completion", sh.name)
		if code != exitOK || !strings.Contains(out, "__complete") {
			t.Errorf("%s: exit %d, %s", sh.name, code, errs)
			continue
		}
		path, err := exec.LookPath(sh.name)
		if err != nil {
			if sh.name == "bash" {
				t.Error("bash is not installed")
			}
			t.Logf("%s not installed: its script is not run here", sh.name)
			continue
		}
		f := filepath.Join(t.TempDir(), "ddm."+sh.name)
		os.WriteFile(f, []byte(out), 0o644)
		if b, err := exec.Command(path, sh.check, f).CombinedOutput(); err != nil {
			t.Errorf("%s %s: %v\n%s", sh.name, sh.check, err, b)
		}
		if sh.run == nil {
			continue
		}
		cmd := exec.Command(path, sh.run(f)...)
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		got := strings.Fields(string(b))
		sort.Strings(got)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s: completions %q (%v), want %q", sh.name, got, err, want)
		}
	}
	if code, _, errs := runDDM(t, "", "completion", "tcsh"); code != exitUsage || !strings.Contains(errs, `unknown shell "tcsh"`) {
		t.Errorf("tcsh: exit %d %s", code, errs)
	}
}
