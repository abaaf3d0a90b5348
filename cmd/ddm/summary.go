package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
)

// cmdSummary queries InfluxDB (InfluxQL over the /query endpoint, which
// InfluxDB 1.8 and the 2.x/3.x v1-compatibility APIs serve) and prints what
// arrived: one line per port and the alarms raised. `make demo` ends with
// it; an operator can point it at any ddm database. The token comes from
// where `ddm run` takes it: --influx-token-file, else DDM_INFLUX_TOKEN.
// A query that fails is named on stderr and the exit code is 1; the rest
// is still printed.
func cmdSummary(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "summary")
	u := fs.String("influx-url", "http://127.0.0.1:8086", "InfluxDB URL")
	db := fs.String("influx-bucket", "telemetry", "database (or database/retention-policy)")
	tokenFile := fs.String("influx-token-file", "", "file holding the token (or set DDM_INFLUX_TOKEN); never on the command line")
	since := fs.Duration("since", time.Hour, "look back this far")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm summary [--influx-url URL] [--influx-bucket DB] [--influx-token-file FILE] [--since 1h]\n\n"+
			"Prints what ddm wrote to InfluxDB: per port the samples, absences, temperature, lowest powers and\n"+
			"highest pre-FEC BER, then the alarm state changes. The token is read as ddm run reads it.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := config.CheckInfluxURL(*u); err != nil {
		errorf(e, "summary: --influx-url: %v", err)
		return exitUsage
	}
	cfg := config.Default("command line")
	cfg.Influx.TokenFile = *tokenFile
	token, err := cfg.Token(func(w string) { errorf(e, "summary: %s", w) })
	if err != nil {
		errorf(e, "summary: %v", err)
		return exitUsage
	}
	dbName, _, _ := strings.Cut(*db, "/")
	code := exitOK
	qr, err := exporter.NewInfluxQuerier(exporter.InfluxConfig{URL: *u, Bucket: dbName, Token: token})
	if err != nil {
		errorf(e, "summary: %v", err)
		return exitUsage
	}
	q := func(what, query string) []exporter.QuerySeries {
		ss, err := qr.Query(ctx, query)
		if err != nil {
			errorf(e, "summary: %s: %v", what, err)
			code = exitError
		}
		return ss
	}
	where := fmt.Sprintf("time > now() - %ds", int(since.Seconds()))

	// Each monitor is read at full rate and as the window statistic that
	// stands for it with --reduce (statread), so agents in either mode
	// are summed up alike: the last temperature (a window's mean), the
	// lowest powers (the windows' minima), the highest BER (their maxima).
	ports := q("samples per port", fmt.Sprintf(`SELECT count(%q) AS n, sum(%q) AS w FROM %q WHERE %s GROUP BY %q`,
		schema.Present, schema.WindowSamples, schema.XcvrModule, where, schema.TagPort))
	if code != exitOK {
		return code // nothing to show without the ports
	}
	temps := q("temperatures", fmt.Sprintf(`SELECT last("temp") AS temp FROM %s WHERE %s GROUP BY %q`,
		statread.InfluxQLSources(schema.XcvrModule, statread.Ident(schema.XcvrModule), where,
			statread.Column{Field: schema.TemperatureC, Stat: statread.Mean, As: "temp"}), where, schema.TagPort))
	lanes := q("lane powers", fmt.Sprintf(`SELECT min("rx") AS rx, min("tx") AS tx FROM %s WHERE %s GROUP BY %q`,
		statread.InfluxQLSources(schema.XcvrLane, statread.Ident(schema.XcvrLane), where,
			statread.Column{Field: schema.RxPowerDBM, Stat: statread.Min, As: "rx"},
			statread.Column{Field: schema.TxPowerDBM, Stat: statread.Min, As: "tx"}), where, schema.TagPort))
	ber := q("pre-FEC BER", fmt.Sprintf(`SELECT max("ber") AS ber FROM %s WHERE %s GROUP BY %q`,
		statread.InfluxQLSources(schema.XcvrVDM, statread.Ident(schema.XcvrVDM),
			fmt.Sprintf(`%q='pre_fec_ber' AND %q='media' AND %s`, schema.TagObservable, schema.TagSide, where),
			statread.Column{Field: schema.Value, Stat: statread.Max, As: "ber"}), where, schema.TagPort))
	info := q("part numbers", fmt.Sprintf(`SELECT last(%q) AS pn FROM %q WHERE %s GROUP BY %q`, schema.PartNumber, schema.XcvrInfo, where, schema.TagPort))
	absent := q("absent samples", fmt.Sprintf(`SELECT count(%q) AS n FROM %q WHERE %q=false AND %s GROUP BY %q`,
		schema.Present, schema.XcvrModule, schema.Present, where, schema.TagPort))
	byPort := func(ss []exporter.QuerySeries, col string) map[string]any {
		out := map[string]any{}
		for _, s := range ss {
			if len(s.Values) > 0 {
				out[s.Tags[schema.TagPort]] = s.Value(0, col)
			}
		}
		return out
	}
	temp, n, folded := byPort(temps, "temp"), byPort(ports, "n"), byPort(ports, "w")
	rx, tx, maxBER, pn, gone := byPort(lanes, "rx"), byPort(lanes, "tx"), byPort(ber, "ber"), byPort(info, "pn"), byPort(absent, "n")
	for p, w := range folded {
		// With --reduce, present is written when it changes: the reads
		// are those folded into the windows and the empty cage's, which
		// are written as read.
		if w, ok := w.(float64); ok && w > 0 {
			g, _ := gone[p].(float64)
			n[p] = w + g
		}
	}
	names := make([]string, 0, len(n))
	for p := range n {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool { return portLess(names[i], names[j]) })
	fmt.Fprintf(e.stdout, "Per port, last %v (from %s database %s)\n", *since, *u, dbName)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "port\tpart number\tsamples\tabsent\ttemp °C\tmin Rx dBm\tmin Tx dBm\tmax pre-FEC BER\t")
	for _, p := range names {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p, str(pn[p]), num0(n[p]), num0(gone[p]), num2(temp[p]), num2(rx[p]), num2(tx[p]), sci(maxBER[p]))
	}
	tw.Flush()

	alarmsFailed := false
	alarms, err := qr.Query(ctx, fmt.Sprintf(`SELECT %q, %q, %q, %q, %q, %q, %q FROM %q WHERE %q=true AND %s`,
		schema.State, schema.TagSeverity, schema.TagRule, schema.TagLane, schema.Value, schema.Threshold, schema.Summary, schema.XcvrAlarm, schema.Transition, where))
	if err != nil {
		errorf(e, "summary: alarm state changes: %v", err)
		code, alarmsFailed = exitError, true
	}
	fmt.Fprintf(e.stdout, "\nAlarm state changes\n")
	count := 0
	for _, s := range alarms {
		for i := range s.Values {
			st := str(s.Value(i, schema.State))
			if st == "firing" || st == "resolved" {
				ts, _ := time.Parse(time.RFC3339Nano, str(s.Value(i, "time")))
				fmt.Fprintf(e.stdout, "  %s  %-8s %-8s %s\n", ts.Local().Format("15:04:05"), strings.ToUpper(st), str(s.Value(i, schema.TagSeverity)), str(s.Value(i, schema.Summary)))
				count++
			}
		}
	}
	switch {
	case alarmsFailed:
		fmt.Fprintf(e.stdout, "  unknown: the query failed\n")
	case count == 0:
		fmt.Fprintf(e.stdout, "  none\n")
	}
	return code
}

func str(v any) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(v)
}

func num0(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.0f", f)
	}
	return "-"
}

func num2(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.2f", f)
	}
	return "-"
}

func sci(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.2e", f)
	}
	return "-"
}

// portLess sorts Ethernet1/2 before Ethernet1/10.
func portLess(a, b string) bool {
	na, nb := trailingNum(a), trailingNum(b)
	pa, pb := strings.TrimRight(a, "0123456789"), strings.TrimRight(b, "0123456789")
	if pa != pb || na < 0 || nb < 0 {
		return a < b
	}
	return na < nb
}

func trailingNum(s string) int {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) {
		return -1
	}
	n := 0
	fmt.Sscanf(s[i:], "%d", &n)
	return n
}
