package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/forecast/scenario"
	"github.com/ddm-agent/ddm/internal/influxtest"
)

// scenarioFile writes a line-protocol file of generated lanes, one port
// each, all ending at the same time: a degrading lane at 50 % of its way
// to its limit, a healthy lane after 20 days. It returns the file, the
// end time and each port's true days to its limit (absent: healthy).
func scenarioFile(t *testing.T) (path string, end time.Time, truth map[string]float64, lanes map[string]*scenario.Lane) {
	t.Helper()
	end = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	want := map[scenario.Kind]int{scenario.LinearDecline: 2, scenario.BERGrowth: 2, scenario.AcceleratingDecline: 2, scenario.Healthy: 4}
	truth, lanes = map[string]float64{}, map[string]*scenario.Lane{}
	var buf bytes.Buffer
	for i, l := range scenario.Generate(21, 80) {
		if want[l.Kind] == 0 {
			continue
		}
		want[l.Kind]--
		port := fmt.Sprintf("Ethernet1/%d", i+1)
		days := 20.0
		if !math.IsInf(l.Cross, 1) {
			days = l.EvalDays()[1]
			truth[port] = l.Cross - days
		}
		lanes[port] = l
		t0 := end.Add(-time.Duration(days * 24 * float64(time.Hour))).Truncate(time.Minute)
		if err := l.WriteLP(&buf, "leaf01", port, uint64(i), t0, end.Sub(t0).Hours()/24); err != nil {
			t.Fatal(err)
		}
	}
	path = filepath.Join(t.TempDir(), "scenario.lp")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, end, truth, lanes
}

func decodeForecasts(t *testing.T, out string) []forecastJSON {
	t.Helper()
	var fc []forecastJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var f forecastJSON
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		fc = append(fc, f)
	}
	return fc
}

// checkScenario holds the forecasts of scenarioFile's ports to the truth:
// the degrading ports' first crossings within 20 % of the true days in
// the median and 60 % each (a lane can hide a step in its noise: see
// docs/FORECAST.md for the spread), with an interval around the estimate;
// no crossing on a healthy port; a cohort_z where 4 ports or more share
// the quantity.
func checkScenario(t *testing.T, fc []forecastJSON, truth map[string]float64, lanes map[string]*scenario.Lane, shift float64) {
	t.Helper()
	first := map[string]forecastJSON{}
	for _, f := range fc {
		if _, seen := first[f.Port]; !seen {
			first[f.Port] = f
		}
	}
	if len(first) != len(lanes) {
		t.Fatalf("forecasts for %d ports, want %d: %+v", len(first), len(lanes), fc)
	}
	peers := map[string]int{}
	for _, l := range lanes {
		peers[l.Quantity]++
	}
	var errs []float64
	for port, l := range lanes {
		f := first[port]
		if f.Quantity != l.Quantity || f.Lane != 1 {
			t.Errorf("%s: quantity %s lane %d, want %s lane 1", port, f.Quantity, f.Lane, l.Quantity)
		}
		if (f.CohortZ != nil) != (peers[l.Quantity] >= 4) {
			t.Errorf("%s: cohort_z %v with %d ports of one part and firmware measuring %s", port, f.CohortZ, peers[l.Quantity], l.Quantity)
		}
		tr, degrading := truth[port]
		if !degrading {
			if f.Days != nil {
				t.Errorf("%s (healthy): crossing forecast in %.1f days", port, *f.Days)
			}
			continue
		}
		tr += shift
		if f.Days == nil || f.DaysLow == nil || f.TrendPerDay == nil {
			t.Errorf("%s (%s): no crossing forecast, truth %.1f days: %+v", port, l.Kind, tr, f)
			continue
		}
		e := math.Abs(*f.Days-tr) / tr
		errs = append(errs, e)
		if e > 0.6 {
			t.Errorf("%s (%s): %.1f days, truth %.1f (error %.0f %%)", port, l.Kind, *f.Days, tr, 100*e)
		}
		if *f.DaysLow > *f.Days || (f.DaysHigh != nil && *f.DaysHigh < *f.Days) {
			t.Errorf("%s: interval %v–%v does not hold the estimate %v", port, *f.DaysLow, f.DaysHigh, *f.Days)
		}
		if wantName := l.Limit.Name; f.ThresholdName != wantName {
			t.Errorf("%s: threshold %s, want %s", port, f.ThresholdName, wantName)
		}
	}
	sort.Float64s(errs)
	if len(errs) == 0 || errs[len(errs)/2] > 0.2 {
		t.Errorf("median error %v of %v, want < 20 %%", errs[len(errs)/2], errs)
	}
}

// TestForecastScenarioFile runs the real binary on generated lanes with
// known truth, as of the end of the file and as of two days earlier.
func TestForecastScenarioFile(t *testing.T) {
	path, end, truth, lanes := scenarioFile(t)
	code, out, errs := runBinary(t, 60*time.Second, nil, "forecast", "--json", path)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkScenario(t, decodeForecasts(t, out), truth, lanes, 0)

	// Two days earlier the crossings were two days further away (the
	// lanes that have 2 days of history then).
	at := end.Add(-48 * time.Hour)
	code, out, errs = runBinary(t, 60*time.Second, nil, "forecast", "--json", "--at", at.Format(time.RFC3339), path)
	if code != 0 {
		t.Fatalf("--at: exit %d: %s", code, errs)
	}
	for _, f := range decodeForecasts(t, out) {
		tr, ok := truth[f.Port]
		if !ok || f.Days == nil || f.ThresholdName != lanes[f.Port].Limit.Name {
			continue
		}
		if e := math.Abs(*f.Days-(tr+2)) / (tr + 2); e > 0.3 {
			t.Errorf("--at: %s (%s): %.1f days, truth %.1f", f.Port, lanes[f.Port].Kind, *f.Days, tr+2)
		}
	}

	// The table: crossings soonest first.
	code, out, _ = runBinary(t, 60*time.Second, nil, "forecast", path)
	if code != 0 || !strings.Contains(out, "PORT") {
		t.Fatalf("table: exit %d:\n%s", code, out)
	}
	var days []float64
	for _, line := range strings.Split(out, "\n") {
		fs := strings.Fields(line)
		if len(fs) > 5 && strings.HasPrefix(fs[0], "Ethernet") {
			if d, err := strconv.ParseFloat(fs[5], 64); err == nil {
				days = append(days, d)
			}
		}
	}
	if len(days) < len(truth) || !sort.Float64sAreSorted(days) {
		t.Errorf("table rows not sorted by days, or missing (%v):\n%s", days, out)
	}
}

// TestForecastEmulatedLP runs the real binary on what `ddm run --emulate
// --output lp` writes: seconds of samples, so no trend, but a cohort
// z-score for every series of a module with peers, and no error.
func TestForecastEmulatedLP(t *testing.T) {
	lp, err := os.Create(filepath.Join(t.TempDir(), "emulated.lp"))
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Close()
	code, _, errs := runBinary(t, 60*time.Second, lp, "run", "--emulate", "--output", "lp", "--duration", "3s", "--state-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("ddm run: exit %d: %s", code, errs)
	}
	code, out, errs := runBinary(t, 60*time.Second, nil, "forecast", "--json", lp.Name())
	if code != 0 || errs != "" {
		t.Fatalf("forecast: exit %d: %s", code, errs)
	}
	fc := decodeForecasts(t, out)
	quantities := map[string]int{}
	withZ := 0
	for _, f := range fc {
		quantities[f.Quantity]++
		if f.Days != nil || f.TrendPerDay != nil {
			t.Errorf("a trend from seconds of samples: %+v", f)
		}
		if f.CohortZ != nil {
			withZ++
		}
	}
	for _, q := range []string{"tx_bias_ma", "tx_power_mw", "rx_power_mw", "temperature_c", "pre_fec_ber"} {
		if quantities[q] == 0 {
			t.Errorf("no %s series in %d forecasts", q, len(fc))
		}
	}
	if withZ < len(fc)/2 {
		t.Errorf("cohort_z on %d of %d series; the emulated switch has many modules of one part", withZ, len(fc))
	}
	code, out, _ = runBinary(t, 60*time.Second, nil, "forecast", lp.Name())
	if code != 0 || !strings.Contains(out, "a trend needs 2 days") {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
}

// TestForecastInfluxExport writes the scenario file to a real InfluxDB,
// exports every measurement back as line protocol through a query (as an
// operator would: all series, integers now floats, lines shuffled), and
// checks that the export forecasts exactly as the original file.
func TestForecastInfluxExport(t *testing.T) {
	path, _, truth, lanes := scenarioFile(t)
	srv := influxtest.Start(t)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL()+"/write?precision=ns&db="+srv.Database(), "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s", resp.Status)
	}
	var lines []string
	for _, m := range []string{"xcvr_info", "xcvr_threshold", "xcvr_lane", "xcvr_vdm"} {
		series, err := srv.QueryErr(`SELECT * FROM "` + m + `" GROUP BY *`)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range series {
			lines = append(lines, exportLines(t, s)...)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	export := filepath.Join(t.TempDir(), "export.lp")
	if err := os.WriteFile(export, []byte("# exported from InfluxDB\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want, _ := runBinary(t, 60*time.Second, nil, "forecast", "--json", path)
	code, got, errs := runBinary(t, 60*time.Second, nil, "forecast", "--json", export)
	if code != 0 || errs != "" {
		t.Fatalf("forecast of the export: exit %d: %s", code, errs)
	}
	if got != want {
		t.Errorf("the export forecasts differently:\n%s\nfrom the file:\n%s", got, want)
	}
	checkScenario(t, decodeForecasts(t, got), truth, lanes, 0)
}

// exportLines turns one InfluxQL series (SELECT * GROUP BY *, times in
// ns) into line protocol. Numbers are written as floats: the query's
// JSON does not say which were integers.
func exportLines(t *testing.T, s influxtest.Series) []string {
	t.Helper()
	keys := make([]string, 0, len(s.Tags))
	for k, v := range s.Tags {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var head strings.Builder
	head.WriteString(s.Name)
	for _, k := range keys {
		head.WriteString("," + k + "=" + strings.NewReplacer(" ", `\ `, ",", `\,`, "=", `\=`).Replace(s.Tags[k]))
	}
	var out []string
	for _, row := range s.Values {
		var fields []string
		var ts string
		for i, c := range s.Columns {
			switch v := row[i].(type) {
			case nil:
			case json.Number:
				if c == "time" {
					ts = v.String()
				} else {
					f, _ := v.Float64()
					fields = append(fields, c+"="+strconv.FormatFloat(f, 'g', -1, 64))
				}
			case string:
				fields = append(fields, c+"="+strconv.Quote(v))
			case bool:
				fields = append(fields, c+"="+strconv.FormatBool(v))
			default:
				t.Fatalf("column %s: %T", c, v)
			}
		}
		out = append(out, head.String()+" "+strings.Join(fields, ",")+" "+ts)
	}
	return out
}

func TestForecastBadInput(t *testing.T) {
	dir := t.TempDir()
	good := "xcvr_lane,host=h,lane=1,port=p1 rx_power_mw=0.5 1767323045678000000\n"
	for _, tc := range []struct {
		name, content string
		args          []string
		want          string
	}{
		{"broken line", good + "xcvr_lane,host=h,lane=1,port=p1 rx_power_mw=\n", nil, "broken.lp:2: column"},
		{"string power", good + good + "xcvr_lane,host=h,lane=1,port=p1 rx_power_mw=\"x\" 1767323045678000000\n", nil, "string power.lp:3: xcvr_lane field rx_power_mw is a string, not a number"},
		{"no port", "xcvr_module,host=h temperature_c=40 1767323045678000000\n", nil, ":1: xcvr_module point without a port tag"},
		{"bad lane", "xcvr_lane,host=h,lane=x,port=p rx_power_mw=1 1767323045678000000\n", nil, `:1: xcvr_lane: lane "x" is not a lane number`},
		{"no timestamp", "xcvr_lane,host=h,lane=1,port=p rx_power_mw=1\n", nil, ":1: no timestamp"},
		{"seconds", "xcvr_lane,host=h,lane=1,port=p rx_power_mw=1 1767323045\n", nil, ":1: timestamp 1767323045 is before 2000 in nanoseconds"},
		{"nothing to forecast", "xcvr_agent,host=h queue_depth=0i 1767323045678000000\n", nil, "no samples of xcvr_lane"},
		{"at after the end", good, []string{"--at", "2027-01-01"}, "--at 2027-01-01T00:00:00Z is after the last sample"},
		{"at before the start", good, []string{"--at", "2025-01-01"}, "no samples at or before --at"},
		{"at nonsense", good, []string{"--at", "soon"}, `--at: "soon" is not a time`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Fields(tc.name)[0]+".lp")
			if tc.name == "string power" {
				path = filepath.Join(dir, "string power.lp")
			}
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runDDM(t, "", append(append([]string{"forecast"}, tc.args...), path)...)
			if code != exitUsage || !strings.Contains(errs, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errs, tc.want)
			}
		})
	}
	if code, _, errs := runDDM(t, "", "forecast", filepath.Join(dir, "missing.lp")); code != exitUsage || !strings.Contains(errs, "missing.lp") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
	if code, _, _ := runDDM(t, "", "forecast"); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
	// Standard input, and lines ddm does not forecast from, are fine.
	in := "# comment\n\nCREATE DATABASE telemetry WITH NAME autogen\n" + good + "xcvr_alarm,host=h,port=p1,rule=r,severity=major state=\"firing\" 1767323045678000000\n"
	if code, out, errs := runDDM(t, in, "forecast", "--json", "-"); code != 0 || !strings.Contains(out, `"port":"p1"`) {
		t.Errorf("stdin: exit %d, %q, %q", code, out, errs)
	}
}

// FuzzLPReader: no input makes the reader or the forecast panic, and an
// input it refuses is refused with a file and line.
func FuzzLPReader(f *testing.F) {
	f.Add([]byte("xcvr_lane,host=h,lane=1,port=p rx_power_mw=0.5,tx_bias_ma=7i 1767323045678000000\n"))
	f.Add([]byte("xcvr_vdm,host=h,lane=2,observable=pre_fec_ber,port=p,side=media value=1e-6,high_alarm_threshold=2.4e-4 1767323045678000000\n"))
	f.Add([]byte("xcvr_threshold,host=h,port=p,quantity=rx_power_mw high_alarm_threshold=3,low_alarm_threshold=0.04,high_warning_threshold=2.5,low_warning_threshold=0.08 1767323045678000000\n"))
	f.Add([]byte("xcvr_info,host=h,port=p part_number=\"X\",firmware_version=\"1\" 1767323045678000000\n# c\n"))
	f.Add([]byte("xcvr_module,host=h,port=p temperature_c=41,laser_temperature_c=45 1767323045678000000\nxcvr_module,host=h,port=p temperature_c=42 1767409445678000000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newLPReader(time.Time{})
		err := r.read("fuzz.lp", bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.lp:") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		if len(r.series) > 0 {
			var out bytes.Buffer
			fc := forecastAll(r, r.last)
			printForecastTable(env{stdout: &out}, fc, r, r.last)
			_ = printForecastJSON(env{stdout: &out}, fc, true)
		}
	})
}

// TestForecastModuleSwap: a cage whose declining module was replaced by a
// healthy one is forecast from the new module's samples only.
func TestForecastModuleSwap(t *testing.T) {
	start := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	swap := start.Add(10 * 24 * time.Hour)
	var b strings.Builder
	info := func(at time.Time, serial string) {
		fmt.Fprintf(&b, "xcvr_info,host=h,port=p1 part_number=\"P\",serial_number=%q,firmware_version=\"1\" %d\n", serial, at.UnixNano())
		fmt.Fprintf(&b, "xcvr_threshold,host=h,port=p1,quantity=rx_power_mw high_alarm_threshold=3,low_alarm_threshold=0.05,high_warning_threshold=2,low_warning_threshold=0.1 %d\n", at.UnixNano())
	}
	info(start, "OLD1")
	info(swap, "NEW2")
	r := rand.New(rand.NewPCG(5, 6))
	for at := start; !at.After(swap.Add(4 * 24 * time.Hour)); at = at.Add(10 * time.Minute) {
		v := 0.8 - 0.05*at.Sub(start).Hours()/24 // the old module: 12 days to its warning
		if !at.Before(swap) {
			v = 0.9 // the new one: flat
		}
		fmt.Fprintf(&b, "xcvr_lane,host=h,lane=1,port=p1 rx_power_mw=%g %d\n", v*(1+0.01*r.NormFloat64()), at.UnixNano())
	}
	path := filepath.Join(t.TempDir(), "swap.lp")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runDDM(t, "", "forecast", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range decodeForecasts(t, out) {
		if f.Days != nil {
			t.Errorf("the old module's decline forecast for the new one: %+v", f)
		}
		if f.TrendPerDay == nil || math.Abs(*f.TrendPerDay) > 0.01 {
			t.Errorf("trend %s mW/day, want the new module's, about 0", optG(f.TrendPerDay))
		}
	}
	// As of before the swap, the old module's decline is forecast.
	code, out, errs = runDDM(t, "", "forecast", "--json", "--at", swap.Add(-time.Hour).Format(time.RFC3339), path)
	if code != 0 {
		t.Fatalf("--at: exit %d: %s", code, errs)
	}
	if fc := decodeForecasts(t, out); len(fc) == 0 || fc[0].Days == nil {
		t.Errorf("no forecast for the old module before the swap: %+v", fc)
	}
}
