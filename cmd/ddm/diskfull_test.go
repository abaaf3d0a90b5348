package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/smallfs"
)

// startWatched starts ddm with its stderr readable while it runs; done is
// closed when it has exited, and *exit is then its Wait error.
func startWatched(t *testing.T, args ...string) (cmd *exec.Cmd, errb *safeBuffer, done <-chan struct{}, exit *error) {
	t.Helper()
	cmd = exec.Command(ddmBinary(t), args...)
	errb = &safeBuffer{}
	cmd.Stderr = errb
	cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	exit = new(error)
	go func() { *exit = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	return cmd, errb, exited, exit
}

// stillRunning fails the test if the process has exited.
func stillRunning(t *testing.T, done <-chan struct{}, exit *error, errs *safeBuffer, when string) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("ddm exited %s: %v\n%s", when, *exit, errs)
	default:
	}
}

// TestRunFullDiskStateDir: the state folder is on a small filesystem (a
// tmpfs with 48 KiB free) and InfluxDB is away (a proxy in front of it
// answers 503), so the spool fills the filesystem. The agent logs the full
// disk and keeps running; SIGKILLed on the full disk and started again, it
// starts (before: "rebuild: ... no space left on device", exit 2, and
// systemd restarting it in a loop); when InfluxDB is back the points read
// after the restart arrive, the spool gets its space back and says so.
func TestRunFullDiskStateDir(t *testing.T) {
	srv := influxtest.Start(t)
	var up atomic.Bool
	target, _ := url.Parse(srv.URL())
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, `{"code":"unavailable","message":"down"}`, http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	mnt := smallfs.Mount(t, 1<<20)
	_, platform := writePlatform(t)
	state := filepath.Join(mnt, "state")
	if err := os.MkdirAll(state, 0o750); err != nil {
		t.Fatal(err)
	}
	smallfs.Fill(t, filepath.Join(mnt, "someone-elses-file"), 48<<10)
	args := []string{"run", "--emulate=" + platform, "--influx-url", proxy.URL, "--influx-bucket", srv.Bucket(),
		"--interval", "100ms", "--vdm-interval", "1s", "--state-dir", state}

	p1, errs1, done1, exit1 := startWatched(t, args...)
	influxtest.Wait(t, 20*time.Second, "the full disk in the journal", func() bool {
		return strings.Contains(errs1.String(), "spool: no space left on device")
	})
	stillRunning(t, done1, exit1, errs1, "on the full disk")
	_ = p1.Process.Signal(syscall.SIGKILL)
	<-done1
	free := smallfs.Free(t, mnt)

	restarted := time.Now()
	p2, errs2, done2, exit2 := startWatched(t, args...)
	influxtest.Wait(t, 10*time.Second, "the restarted agent on the full disk", func() bool {
		return strings.Contains(errs2.String(), "spool: no space left on device")
	})
	up.Store(true)
	influxtest.Wait(t, 20*time.Second, "points read after the restart in InfluxDB", func() bool {
		ts := laneTimes(t, srv, "p1")
		return len(ts) > 0 && ts[len(ts)-1].After(restarted.Add(time.Second))
	})
	// Going back to disk waits for the backlog of the first run to be sent
	// and its segments removed; on two loaded cores that has taken over
	// 10 s. The journal is shown if it never comes.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errs2.String(), "spool: writing to disk again") {
		if time.Now().After(deadline) {
			t.Fatalf("the spool never went back to disk within 30 s; %d bytes free; journal:\n%s", smallfs.Free(t, mnt), errs2)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stillRunning(t, done2, exit2, errs2, "after its restart on the full disk")
	_ = p2.Process.Signal(syscall.SIGTERM)
	select {
	case <-done2:
		if *exit2 != nil {
			t.Errorf("ddm after SIGTERM: %v\n%s", *exit2, errs2)
		}
	case <-time.After(20 * time.Second):
		_ = p2.Process.Signal(syscall.SIGQUIT) // its goroutines, on stderr
		<-done2
		t.Fatalf("ddm did not exit within 20 s of SIGTERM:\n%s", errs2)
	}
	t.Logf("the spool filled the 48 KiB left (%d bytes free at the kill); the restart on the full disk ran, sent from memory once InfluxDB was back, and went back to disk; %d lane-1 points of p1 in InfluxDB",
		free, len(laneTimes(t, srv, "p1")))
}
