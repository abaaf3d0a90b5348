// Command testprogress runs `go test -json ARGS...` and prints what
// `go test ARGS...` prints (each package's closing "ok"/"FAIL"/"?" line
// unchanged, a failed test's whole output), plus progress, so that a long
// package does not leave the terminal silent for minutes:
//
//	testing github.com/ddm-agent/ddm/alarm/grafana
//	    TestDashboardQueries 95.2s
//	    TestExportRuns running for 1m0s
//	ok  	github.com/ddm-agent/ddm/alarm/grafana	412.345s
//
// A top-level test is listed when it took at least a second, and a test
// still running is named every minute. The exit status is go test's.
//
// Usage (make test): go run ./internal/testprogress -p 1 -parallel 4 -count=1 -timeout 30m ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

func main() {
	os.Exit(run("", os.Args[1:], os.Stdout, os.Stderr, time.Minute))
}

// run runs go test with args in dir ("": the working directory) and
// reports its progress to out; every is how often a running test is named.
func run(dir string, args []string, out, errOut io.Writer, every time.Duration) int {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Dir = dir
	cmd.Stderr = errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(errOut, "testprogress:", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(errOut, "testprogress:", err)
		return 1
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<30)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	p := newProgress(out, time.Second, every)
	tick := time.NewTicker(every / 4)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			p.line(l)
		case now := <-tick.C:
			p.tick(now)
		}
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(errOut, "testprogress:", err)
		return 1
	}
	return 0
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// progress turns go test -json events into go test's own output plus
// progress lines.
type progress struct {
	out      io.Writer
	minShown time.Duration
	every    time.Duration
	running  map[string]*running // by package + "\x00" + top-level test
	buffered map[string][]string // output of each running top-level test
	named    map[string]bool     // packages whose "testing" line is out
}

type running struct {
	pkg, test     string
	start, notice time.Time
}

func newProgress(out io.Writer, minShown, every time.Duration) *progress {
	return &progress{out: out, minShown: minShown, every: every, running: map[string]*running{},
		buffered: map[string][]string{}, named: map[string]bool{}}
}

// line handles one line of go test's standard output.
func (p *progress) line(l string) {
	var ev event
	if !strings.HasPrefix(l, "{") || json.Unmarshal([]byte(l), &ev) != nil {
		fmt.Fprintln(p.out, l) // not an event: pass it on as it is
		return
	}
	p.event(ev)
}

func (p *progress) event(ev event) {
	top, _, _ := strings.Cut(ev.Test, "/")
	key := ev.Package + "\x00" + top
	switch {
	case ev.Test == "":
		// Package-level output is go test's own (the closing ok/FAIL line,
		// build errors, a panic outside any test), but for the PASS line
		// of -json's verbose mode, which go test leaves out. Tests still
		// running when the package fails (a timeout, a crash) have no end
		// of their own: their output (the panic and its goroutines) comes
		// before the package's FAIL line, as go test prints it.
		if strings.HasPrefix(ev.Output, "FAIL") || ev.Action == "fail" {
			p.flush(ev.Package, true)
		}
		if (ev.Action == "output" || ev.Action == "build-output") && ev.Output != "PASS\n" {
			fmt.Fprint(p.out, ev.Output)
		}
		if ev.Action == "pass" || ev.Action == "skip" {
			p.flush(ev.Package, false) // nothing should be left; forget it if so
		}
	case ev.Action == "run" && ev.Test == top:
		if !p.named[ev.Package] {
			p.named[ev.Package] = true
			fmt.Fprintf(p.out, "testing %s\n", ev.Package)
		}
		t := ev.Time
		if t.IsZero() {
			t = time.Now()
		}
		p.running[key] = &running{pkg: ev.Package, test: top, start: t, notice: t}
	case ev.Action == "output":
		p.buffered[key] = append(p.buffered[key], ev.Output)
	case ev.Test != top:
		// A subtest's end: its output is in its top-level test's buffer.
	case ev.Action == "pass" || ev.Action == "skip":
		if d := time.Duration(ev.Elapsed * float64(time.Second)); ev.Action == "pass" && d >= p.minShown {
			fmt.Fprintf(p.out, "    %s %s\n", top, d.Round(100*time.Millisecond))
		}
		p.end(key)
	case ev.Action == "fail":
		p.printBuffered(key)
		p.end(key)
	}
}

// printBuffered prints a failed test as go test does: everything it wrote.
func (p *progress) printBuffered(key string) {
	for _, o := range p.buffered[key] {
		if !strings.HasPrefix(o, "=== ") {
			fmt.Fprint(p.out, o)
		}
	}
}

// flush forgets the tests of pkg that never ended, printing their output
// first if print is set.
func (p *progress) flush(pkg string, print bool) {
	var keys []string
	for k, r := range p.running {
		if r.pkg == pkg {
			keys = append(keys, k)
		}
	}
	for k := range p.buffered {
		if strings.HasPrefix(k, pkg+"\x00") && p.running[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if print {
			p.printBuffered(k)
		}
		p.end(k)
	}
}

func (p *progress) end(key string) {
	delete(p.running, key)
	delete(p.buffered, key)
}

// tick names the tests that have been running for a while, once per
// period each.
func (p *progress) tick(now time.Time) {
	var due []*running
	for _, r := range p.running {
		if now.Sub(r.notice) >= p.every {
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].start.Before(due[j].start) })
	for _, r := range due {
		r.notice = now
		fmt.Fprintf(p.out, "    %s running for %s\n", r.test, now.Sub(r.start).Round(time.Second))
	}
}
