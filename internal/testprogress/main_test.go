package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func lines(evs ...event) string {
	var b strings.Builder
	for _, ev := range evs {
		j, _ := json.Marshal(ev)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func feed(p *progress, text string) {
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		p.line(l)
	}
}

// TestProgress: go test's own lines pass unchanged, a slow test is
// listed, a failed test's output is printed, -json's extra lines are not.
func TestProgress(t *testing.T) {
	const pkg = "example.com/m"
	out := func(test, s string) event { return event{Action: "output", Package: pkg, Test: test, Output: s} }
	for _, tc := range []struct {
		name, in, want string
	}{{
		name: "quick and slow tests pass",
		in: lines(event{Action: "start", Package: pkg},
			event{Action: "run", Package: pkg, Test: "TestQuick"}, out("TestQuick", "=== RUN   TestQuick\n"),
			out("TestQuick", "    a_test.go:9: a log line of a passing test\n"),
			out("TestQuick", "--- PASS: TestQuick (0.01s)\n"), event{Action: "pass", Package: pkg, Test: "TestQuick", Elapsed: 0.01},
			event{Action: "run", Package: pkg, Test: "TestSlow"}, event{Action: "run", Package: pkg, Test: "TestSlow/sub"},
			event{Action: "pass", Package: pkg, Test: "TestSlow/sub", Elapsed: 3},
			event{Action: "pass", Package: pkg, Test: "TestSlow", Elapsed: 95.21},
			out("", "PASS\n"), out("", "ok  \texample.com/m\t95.300s\n"), event{Action: "pass", Package: pkg, Elapsed: 95.3}),
		want: "testing example.com/m\n    TestSlow 1m35.2s\nok  \texample.com/m\t95.300s\n",
	}, {
		name: "a test fails",
		in: lines(event{Action: "run", Package: pkg, Test: "TestBad"}, out("TestBad", "=== RUN   TestBad\n"),
			event{Action: "run", Package: pkg, Test: "TestBad/case"}, out("TestBad/case", "=== RUN   TestBad/case\n"),
			out("TestBad/case", "    a_test.go:12: got 1, want 2\n"), out("TestBad/case", "    --- FAIL: TestBad/case (0.00s)\n"),
			event{Action: "fail", Package: pkg, Test: "TestBad/case"},
			out("TestBad", "--- FAIL: TestBad (0.00s)\n"), event{Action: "fail", Package: pkg, Test: "TestBad"},
			out("", "FAIL\n"), out("", "FAIL\texample.com/m\t0.010s\n"), event{Action: "fail", Package: pkg}),
		want: "testing example.com/m\n    a_test.go:12: got 1, want 2\n    --- FAIL: TestBad/case (0.00s)\n--- FAIL: TestBad (0.00s)\nFAIL\nFAIL\texample.com/m\t0.010s\n",
	}, {
		// go test's timeout panics inside the running test, which gets no
		// end event: its output still comes, before the FAIL line.
		name: "a package times out",
		in: lines(event{Action: "run", Package: pkg, Test: "TestLong"}, out("TestLong", "=== RUN   TestLong\n"),
			out("TestLong", "panic: test timed out after 10m0s\n"), out("TestLong", "\trunning tests:\n"),
			out("", "FAIL\texample.com/m\t600.379s\n"), event{Action: "fail", Package: pkg, Elapsed: 600.379}),
		want: "testing example.com/m\npanic: test timed out after 10m0s\n\trunning tests:\nFAIL\texample.com/m\t600.379s\n",
	}, {
		name: "no tests, build errors and plain lines",
		in: lines(event{Action: "start", Package: pkg}, out("", "?   \texample.com/m\t[no test files]\n")) +
			"not json at all\n" +
			lines(event{Action: "build-output", Package: pkg, Output: "# example.com/m\n"}, event{Action: "build-output", Package: pkg, Output: "./a.go:3:1: syntax error\n"}),
		want: "?   \texample.com/m\t[no test files]\nnot json at all\n# example.com/m\n./a.go:3:1: syntax error\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			feed(newProgress(&b, time.Second, time.Minute), tc.in)
			if b.String() != tc.want {
				t.Errorf("output\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestProgressTick: a test running for longer than the period is named,
// once per period.
func TestProgressTick(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, time.Second, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feed(p, lines(event{Time: t0, Action: "run", Package: "m", Test: "TestLong"}))
	b.Reset()
	for _, s := range []int{30, 59, 60, 61, 100, 121} {
		p.tick(t0.Add(time.Duration(s) * time.Second))
	}
	want := "    TestLong running for 1m0s\n    TestLong running for 2m1s\n"
	if b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
	feed(p, lines(event{Action: "pass", Package: "m", Test: "TestLong", Elapsed: 130}))
	b.Reset()
	p.tick(t0.Add(10 * time.Minute))
	if b.Len() != 0 {
		t.Errorf("a finished test is still named: %q", b.String())
	}
}

// TestRunGoTest runs the real go test on a module with a passing and a
// failing test: go test's exit status, its closing line and the failed
// test's log come through.
func TestRunGoTest(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m_test.go"), []byte(`package m

import "testing"

func TestGood(t *testing.T) { t.Log("quiet when it passes") }

func TestBad(t *testing.T) { t.Errorf("got %d, want %d", 1, 2) }
`), 0o644)
	var out, errOut bytes.Buffer
	code := run(dir, []string{"-count=1", "./..."}, &out, &errOut, time.Minute)
	if code == 0 {
		t.Errorf("exit status 0 with a failing test")
	}
	for _, w := range []string{"testing example.com/m\n", "--- FAIL: TestBad", "m_test.go:7: got 1, want 2", "\nFAIL\texample.com/m\t"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s\nstderr:\n%s", w, out.String(), errOut.String())
		}
	}
	if strings.Contains(out.String(), "quiet when it passes") || strings.Contains(out.String(), "=== RUN") {
		t.Errorf("output has a passing test's log or -json's verbose lines:\n%s", out.String())
	}
}
