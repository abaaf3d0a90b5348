package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/execdlog"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/internal/smallfile"
	"github.com/ddm-agent/ddm/internal/statedir"
	"github.com/ddm-agent/ddm/internal/tagvalue"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/portset"
	"github.com/ddm-agent/ddm/winstat"
)

// runFlags are `ddm run`'s own flags; the common settings are flags so a
// one-liner works without a configuration file.
type runFlags struct {
	ports        portFlags
	check        bool
	host         string
	influxURL    string
	influxOrg    string
	bucket       string
	tokenFile    string
	interval     time.Duration
	vdmInterval  time.Duration
	flagInterval time.Duration
	reduce       time.Duration
	output       string
	prometheus   string
	rules        string
	stateDir     string
	duration     time.Duration
	cpuProfile   string
	memProfile   string
	// given reports whether a flag was on the command line: a duration
	// flag given 0 or less is refused, not taken for "not given".
	given func(name string) bool
}

func cmdRun(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "run")
	var f runFlags
	f.ports.register(fs)
	fs.BoolVar(&f.check, "check", false, "validate the configuration and rules, open the ports, and exit")
	fs.StringVar(&f.host, "host", "", "host tag (default: the configuration's, else the hostname)")
	fs.StringVar(&f.influxURL, "influx-url", "", "InfluxDB URL (http://127.0.0.1:8086)")
	fs.StringVar(&f.bucket, "influx-bucket", "", "bucket (InfluxDB 1.8: database/retention-policy)")
	fs.StringVar(&f.influxOrg, "influx-org", "", "organisation (ignored by InfluxDB 1.8)")
	fs.StringVar(&f.tokenFile, "influx-token-file", "", "file holding the token (or set DDM_INFLUX_TOKEN); never on the command line")
	fs.DurationVar(&f.interval, "interval", 0, fmt.Sprintf("fast cadence: monitors and flags (default %v)", agent.DefaultInterval))
	fs.DurationVar(&f.vdmInterval, "vdm-interval", 0, fmt.Sprintf("VDM cadence (default %v)", agent.DefaultVDMInterval))
	fs.DurationVar(&f.flagInterval, "flag-interval", 0, fmt.Sprintf("flag scan between fast cycles: latched-flag summaries only (default %v)", agent.DefaultFlagInterval))
	fs.DurationVar(&f.reduce, "reduce", 0, fmt.Sprintf("send module, lane and VDM values as min/mean/max over windows of this length (%v to %v;\nflags, events and alarm transitions stay full rate; Prometheus unaffected; default and 0: full rate, 0 also over the configuration's reduce)", winstat.MinWindow, winstat.MaxWindow))
	fs.StringVar(&f.output, "output", "", "influx (default with --influx-url) or lp (line protocol on stdout, for Telegraf execd)")
	fs.StringVar(&f.prometheus, "prometheus", "", "serve Prometheus /metrics on this address (127.0.0.1:9464)")
	fs.StringVar(&f.rules, "rules", "", "alarm rules file (default: the built-in rules)")
	fs.StringVar(&f.stateDir, "state-dir", "", "folder for the spool and the alarm state (default $STATE_DIRECTORY, else /var/lib/ddm as root,\nelse $XDG_STATE_HOME/ddm or ~/.local/state/ddm; --emulate uses emulate/NAME inside it)")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: run until SIGTERM)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (for docs/BENCHMARKS.md)")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (live and allocated since start) to this file when the run ends")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm run [--config FILE] [--emulate [PLATFORM]] [--influx-url URL --influx-bucket B] [--output lp] [--prometheus ADDR]\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	f.given = fs.Changed
	if err := f.ports.noArguments(fs, args); err != nil {
		errorf(e, "run: %v", err)
		return exitUsage
	}
	// Under Telegraf's execd (--output lp) every line on standard error
	// starts with the level prefix Telegraf reads (a line without one is
	// logged as an error); the journal keeps slog's own lines.
	stderr := e.stderr
	if f.output == "lp" {
		e.stderr = execdlog.ErrorWriter(stderr)
	}
	cfg, err := f.config()
	if err != nil {
		errorf(e, "run: %v", err)
		return exitUsage
	}
	setRunGC()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if cfg.Output == "lp" {
		e.stderr = execdlog.ErrorWriter(stderr)
		log = slog.New(execdlog.NewHandler(stderr, slog.LevelInfo))
	}
	su, err := f.prepare(cfg, log)
	if err != nil {
		errorf(e, "run: %v", err)
		return exitUsage
	}
	defer su.ts.Close()
	rules, ts := su.rules, su.ts
	if f.check {
		fmt.Fprintf(e.stdout, "configuration OK: %s, rules %s, output %s\n", plural.Count(len(ts.Ports), "port", "ports"), orDefault(cfg.Rules, "built-in"), orDefault(cfg.Output, "none"))
		if cfg.Output == "influx" {
			fmt.Fprintln(e.stdout, pingInflux(ctx, su.influxConfig(nil)))
		}
		return exitOK
	}
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	sink, closeSinks, err := f.sinks(su, e, log)
	if err != nil {
		errorf(e, "run: %v", err)
		return exitUsage
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			errorf(e, "run: %v", err)
			return exitUsage
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			errorf(e, "run: %v", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}
	var seed outlook.Querier
	if cfg.Output == "influx" {
		// The forecast history of a new agent on an old switch comes from
		// what InfluxDB holds (the TLS files were checked by the writer).
		if q, err := exporter.NewInfluxQuerier(su.influxConfig(log)); err == nil {
			seed = q
		}
	}
	d := newDaemon(cfg, ts, rules, sink, seed, log)
	started := time.Now()
	runErr := d.run(ctx)
	if f.memProfile != "" {
		// Taken before the sinks close, while the daemon still holds
		// what it held in its steady state.
		if err := writeHeapProfile(f.memProfile, d); err != nil {
			log.Warn("heap profile not written", "err", err)
		}
	}
	// Flush within a deadline: what is not sent stays in the spool.
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := closeSinks(cctx); err != nil {
		log.Warn("flush at shutdown incomplete; the rest stays spooled", "err", err)
	}
	if s, ok := sink.(interface{ Stats() exporter.Stats }); ok && cfg.Output != "" {
		if why := nothingDelivered(s.Stats(), d.pipe.Samples(), time.Since(started)); why != "" {
			log.Warn(why)
		}
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		errorf(e, "run: %v", runErr)
		return exitError
	}
	return exitOK
}

// writeHeapProfile writes the heap profile after a collection, so its
// inuse figures are the live heap; keep stays reachable until then.
func writeHeapProfile(path string, keep any) error {
	pf, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	err = pprof.Lookup("heap").WriteTo(pf, 0)
	runtime.KeepAlive(keep)
	if cerr := pf.Close(); err == nil {
		err = cerr
	}
	return err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// setup is what run needs and --check verifies: the configuration with the
// flags laid over it, the rules, the opened ports and the InfluxDB token.
// Both call prepare, so --check passes exactly what run accepts.
type setup struct {
	cfg   *config.Config
	rules *alarm.Rules
	ts    *portset.Set
	token string
}

// prepare runs every check run makes before it starts, on the
// configuration from f.config. On error nothing is left open.
func (f *runFlags) prepare(cfg *config.Config, log *slog.Logger) (*setup, error) {
	su := &setup{cfg: cfg}
	var err error
	if su.rules, err = loadRules(cfg.Rules); err != nil {
		return nil, f.rulesHint(cfg, err)
	}
	if cfg.Output == "influx" {
		if su.token, err = cfg.Token(func(w string) { log.Warn(w) }); err != nil {
			return nil, err
		}
		if err := checkSpoolDir(cfg.Influx.SpoolDir); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				err = fmt.Errorf("%w; give --state-dir a folder this user can write (README: State folder)", err)
			}
			return nil, err
		}
	}
	if su.ts, err = f.ports.open(cfg); err != nil {
		return nil, err
	}
	// Emulated platforms name their ports in their own file.
	for _, t := range su.ts.Ports {
		if err := tagvalue.Check(t.Name); err != nil {
			su.ts.Close()
			return nil, fmt.Errorf("port name %v (it tags every point of the port)", err)
		}
	}
	return su, nil
}

// checkSpoolDir refuses a spool folder that cannot be ddm's own (see
// exporter.CheckSpoolDir: not a directory, a pseudo-filesystem, a folder
// holding files ddm did not create), so that --check and run refuse the
// same folders.
func checkSpoolDir(dir string) error { return exporter.CheckSpoolDir(dir) }

// influxConfig is the InfluxDB writer's configuration.
func (su *setup) influxConfig(log *slog.Logger) exporter.InfluxConfig {
	c := su.cfg
	return exporter.InfluxConfig{
		URL: c.Influx.URL, Org: c.Influx.Org, Bucket: c.Influx.Bucket, Token: su.token,
		CAFile: c.Influx.CAFile, CertFile: c.Influx.CertFile, KeyFile: c.Influx.KeyFile, InsecureSkipVerify: c.Influx.SkipTLSVerify,
		BatchSize: c.Influx.BatchSize, SpoolDir: c.Influx.SpoolDir, SpoolMaxBytes: int64(c.Influx.SpoolMaxBytes), Logger: log,
	}
}

// pingInflux says whether InfluxDB answers. Not an error: at boot InfluxDB
// may well come up after ddm, which spools meanwhile.
func pingInflux(ctx context.Context, ic exporter.InfluxConfig) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	v, err := exporter.Ping(ctx, ic)
	if err != nil {
		return fmt.Sprintf("warning: InfluxDB at %s is not reachable now (%v); run will spool points until it is", ic.URL, err)
	}
	return fmt.Sprintf("InfluxDB at %s is reachable (version %s)", ic.URL, orDefault(v, "not reported"))
}

// config loads the file (if any) and lays the flags over it.
func (f *runFlags) config() (*config.Config, error) {
	var c *config.Config
	if f.ports.config != "" {
		var err error
		if c, err = config.Load(f.ports.config); err != nil {
			return nil, err
		}
	} else {
		// No file: the flags are the configuration.
		c = config.Default("command line")
		if p, ok := f.ports.single(); ok {
			c.Ports = []config.Port{p}
		}
	}
	if f.host != "" {
		c.Host = f.host
		c.FromFlag("host", "--host")
	}
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if f.ports.emulate != "" {
		c.Emulate = f.ports.emulate
	}
	// A cadence flag given on the command line is the configuration's
	// value, whatever it is (Validate refuses a negative one by the
	// flag's name); --reduce 0 is full rate, even over the file's reduce.
	for _, d := range []struct {
		flag, key string
		v         time.Duration
		dst       *config.Duration
		zeroOK    bool
	}{
		{"interval", "interval", f.interval, &c.Interval, false},
		{"vdm-interval", "vdm_interval", f.vdmInterval, &c.VDMInterval, false},
		{"reduce", "reduce", f.reduce, &c.Reduce, true},
		{"flag-interval", "flag_interval", f.flagInterval, &c.FlagInterval, false},
	} {
		if f.given == nil || !f.given(d.flag) {
			continue
		}
		if d.v == 0 && !d.zeroOK {
			return nil, &config.Error{File: "command line", Msg: fmt.Sprintf("--%s: %s is zero: want a positive duration, or leave the flag out for the default", d.flag, d.key)}
		}
		*d.dst = config.Duration(d.v)
		c.FromFlag(d.key, "--"+d.flag)
	}
	if f.influxURL != "" {
		c.Influx.URL = f.influxURL
		c.FromFlag("influx.url", "--influx-url")
	}
	if f.bucket != "" {
		c.Influx.Bucket = f.bucket
	}
	if f.influxOrg != "" {
		c.Influx.Org = f.influxOrg
	}
	if f.tokenFile != "" {
		c.Influx.TokenFile = f.tokenFile
	}
	if f.output != "" {
		c.Output = f.output
	} else if c.Output == "" && c.Influx.URL != "" {
		c.Output = "influx"
	}
	if f.prometheus != "" {
		c.Prometheus.Listen = f.prometheus
		c.FromFlag("prometheus.listen", "--prometheus")
	}
	if f.rules != "" {
		c.Rules = f.rules
	}
	if f.stateDir != "" {
		c.Influx.SpoolDir = filepath.Join(f.stateDir, "spool")
	} else if c.Influx.SpoolDir == "" {
		dir, err := defaultStateDir(c, statedir.Process())
		if err != nil {
			return nil, err
		}
		c.Influx.SpoolDir = filepath.Join(dir, "spool")
	}
	return c, c.Validate()
}

// defaultStateDir is the state folder (spool and alarm state) when neither
// --state-dir nor spool_dir names one: internal/statedir's choice, and for
// an emulated switch a folder of its own inside it, so that an emulated run
// never replays its spool into the real configuration's InfluxDB nor lends
// it its alarm state.
func defaultStateDir(c *config.Config, env statedir.Env) (string, error) {
	dir, _, err := statedir.Default(env)
	if err != nil {
		return "", err
	}
	if c.Emulate != "" {
		dir = filepath.Join(dir, "emulate", emulateKey(c.Emulate))
	}
	return dir, nil
}

// emulateKey names an emulated switch as a folder: a profile or built-in
// name as it is, a platform file by its base name and a hash of its path
// (two files named p.yaml are two switches).
func emulateKey(emulate string) string {
	name := strings.TrimSuffix(filepath.Base(emulate), filepath.Ext(emulate))
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
	if clean == emulate {
		return clean
	}
	abs, err := filepath.Abs(emulate)
	if err != nil {
		abs = emulate
	}
	sum := sha256.Sum256([]byte(abs))
	return clean + "-" + hex.EncodeToString(sum[:4])
}

func loadRules(path string) (*alarm.Rules, error) {
	if path == "" {
		return alarm.Parse("<built-in rules>", alarm.DefaultRules())
	}
	b, err := readRulesFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return alarm.Parse(path, b)
}

// readRulesFile reads a rules file: a regular file of at most
// alarm.MaxFileSize bytes (parsing costs many times the file's size).
func readRulesFile(path string) ([]byte, error) {
	return smallfile.Read(path, alarm.MaxFileSize)
}

// sinks builds the configured sinks and returns them with their closer.
func (f *runFlags) sinks(su *setup, e env, log *slog.Logger) (exporter.Sink, func(context.Context) error, error) {
	c := su.cfg
	var sinks []exporter.Sink
	var srv *http.Server
	switch c.Output {
	case "influx":
		ic := su.influxConfig(log)
		if c.Reduce != 0 {
			// Between window ends only a few points a second are
			// left to send (events go through the urgent lane).
			ic.FlushInterval = winstat.FlushInterval
		}
		w, err := exporter.NewInfluxWriter(ic)
		if err != nil {
			return nil, nil, err
		}
		sinks = append(sinks, w)
	case "lp":
		sinks = append(sinks, exporter.NewLineProtocolWriter(e.stdout))
	}
	if c.Reduce != 0 && (c.Output == "influx" || c.Output == "lp") {
		// The written export only: Prometheus keeps the latest values.
		vdm := time.Duration(c.VDMInterval)
		if vdm <= 0 {
			vdm = agent.DefaultVDMInterval
		}
		r, err := winstat.New(sinks[0], time.Duration(c.Reduce), winstat.WithVDMInterval(vdm))
		if err != nil {
			return nil, nil, err
		}
		sinks[0] = r
	}
	if c.Prometheus.Listen != "" {
		ps := exporter.NewPrometheusSink(exporter.PromOptions{})
		ln, err := net.Listen("tcp", c.Prometheus.Listen)
		if err != nil {
			return nil, nil, fmt.Errorf("prometheus: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", ps.Handler())
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go serveMetrics(srv, ln, log)
		sinks = append(sinks, ps)
	}
	sink := exporter.Multi(sinks...)
	return sink, func(ctx context.Context) error {
		var errs []error
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("prometheus: %w", err))
			}
		}
		return errors.Join(append(errs, sink.Close(ctx))...)
	}, nil
}

// newAgent builds the agent over the opened ports.
func newAgent(c *config.Config, ts *portset.Set, obs agent.Observer) (*agent.Agent, error) {
	return agent.New(ts.AgentPorts(), obs, agent.Options{
		Interval: time.Duration(c.Interval), VDMInterval: time.Duration(c.VDMInterval), Revalidate: time.Duration(c.Revalidate),
		FlagInterval: time.Duration(c.FlagInterval),
	})
}

// runGCPercent is the garbage collector's target for `ddm run`: the heap
// may grow to 1.5 times what it holds before a collection, not Go's
// default twice. The agent allocates little per second now (the writer
// reuses its buffers), so collecting more often costs little CPU, while
// the heap's headroom is most of the resident size: in 5-minute runs of
// 64 emulated modules side by side, VmHWM 46.6 MB at GOGC=50 against
// 70.4 MB at GOGC=100 (that run also profiling) and 64.3 MB before the
// writer's changes, for 10 % more CPU (docs/BENCHMARKS.md). GOGC in the
// environment still decides.
const runGCPercent = 50

func setRunGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(runGCPercent)
	}
}
