package grafana

// The classic dashboard model (schemaVersion 42) is deprecated in the SDK
// in favour of dashboardv2, which only Grafana 12's v2 dashboard API
// reads; file provisioning of every Grafana version reads the classic one.
//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ddm-agent/ddm/alarm"
)

// Bundle is what Export makes: the alert rule provisioning file and the
// dashboards.
type Bundle struct {
	Options Options
	// Rules is alerting/ddm-rules.yaml.
	Rules RuleFile
	// Exported says, per ddm rule, how it became a Grafana rule.
	Exported []Exported
	// Dashboards are written to dashboards/<uid>.json.
	Dashboards []dashboard.Dashboard
	// Datasources is datasources/ddm.yaml: the InfluxDB data source the
	// queries name. Providers is dashboards/ddm.yaml: the file provider
	// that loads the dashboards.
	Datasources DatasourceFile
	Providers   DashboardProviderFile
}

// Paths of the files WriteDir writes, relative to its directory.
const (
	RulesPath             = "alerting/ddm-rules.yaml"
	DatasourcesPath       = "datasources/ddm.yaml"
	DashboardProviderPath = "dashboards/ddm.yaml"
	DashboardsDir         = "dashboards"
	ReadmePath            = "README.md"
)

// Export renders rules as Grafana alert rules (one group, every rule of
// the file; disabled ones paused) and the ddm dashboards, for one InfluxDB
// data source.
//
// A rule Grafana can evaluate on its metric (Rule.Series, not
// Rule.Local) becomes a query over that metric's series with the rule's
// port and lane selectors, reduced to one value per series, and a
// threshold expression with the rule's clear or hysteresis as Grafana's
// recovery threshold; for as the pending period and clear_for as
// keepFiringFor. Rules that need what InfluxDB does not hold in the
// metric's series (built-in sets, the module's own thresholds, identity
// selectors, module absence) follow the agent's own alarm state in
// xcvr_alarm instead, and say so in their description.
func Export(rules *alarm.Rules, opts Options) (*Bundle, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if rules == nil {
		return nil, errors.New("grafana: no rules")
	}
	b := &Bundle{Options: o}
	group := RuleGroup{OrgID: o.OrgID, Name: o.Group, Folder: o.Folder, Interval: promDuration(o.Interval)}
	var errs []error
	for i := range rules.Rules {
		r := &rules.Rules[i]
		rule, ex, err := o.exportRule(rules.File, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		group.Rules = append(group.Rules, fileRule(rule))
		b.Exported = append(b.Exported, ex)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("grafana: %w", errors.Join(errs...))
	}
	b.Rules = RuleFile{APIVersion: 1, Groups: []RuleGroup{group}}
	b.Datasources, b.Providers = o.datasourceFile(), o.providerFile()
	if b.Dashboards, err = o.dashboards(rules); err != nil {
		return nil, fmt.Errorf("grafana: %w", err)
	}
	if err := b.Check(); err != nil {
		return nil, fmt.Errorf("grafana: the export fails its own checks: %w", err)
	}
	return b, nil
}

// Check validates the rule file (RuleFile.Check), the provisioning files
// and the dashboards: the foundation SDK's schema (CheckDashboardJSON),
// unique uids, every panel's targets typed InfluxDB queries on the
// provisioned data source, unique panel ids.
func (b *Bundle) Check() error {
	errs := []error{b.Rules.Check(), b.Datasources.Check(), b.Providers.Check()}
	ds := ""
	if len(b.Datasources.Datasources) == 1 {
		ds = b.Datasources.Datasources[0].UID
	}
	uids := map[string]bool{}
	for _, d := range b.Dashboards {
		errs = append(errs, checkDashboard(d, uids, ds))
	}
	return errors.Join(errs...)
}

func checkDashboard(d dashboard.Dashboard, uids map[string]bool, datasource string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if d.Uid == nil || !uidRE.MatchString(*d.Uid) {
		bad("dashboard without a valid uid")
		return errors.Join(errs...)
	}
	uid := *d.Uid
	if uids[uid] {
		bad("dashboard uid %s is not unique", uid)
	}
	uids[uid] = true
	if d.Title == nil || *d.Title == "" {
		bad("dashboard %s: no title", uid)
	}
	if j, err := DashboardJSON(d); err != nil {
		bad("dashboard %s: %v", uid, err)
	} else if err := CheckDashboardJSON(j); err != nil {
		bad("dashboard %s: schema: %v", uid, err)
	}
	ids := map[uint32]bool{}
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		pn := p.Panel
		title := ""
		if pn.Title != nil {
			title = *pn.Title
		}
		if pn.Id == nil || ids[*pn.Id] {
			bad("dashboard %s: panel %q: id missing or not unique", uid, title)
		} else {
			ids[*pn.Id] = true
		}
		if pn.GridPos == nil {
			bad("dashboard %s: panel %q: no gridPos", uid, title)
		}
		if len(pn.Targets) == 0 {
			bad("dashboard %s: panel %q: no targets", uid, title)
		}
		refs := map[string]bool{}
		for _, t := range pn.Targets {
			q, ok := t.(InfluxQuery)
			if !ok {
				bad("dashboard %s: panel %q: target %T, want an InfluxDB query", uid, title, t)
				continue
			}
			if err := q.Validate(); err != nil {
				bad("dashboard %s: panel %q: target %s: %v", uid, title, q.RefID, err)
			} else if *q.Datasource.Uid != datasource {
				bad("dashboard %s: panel %q: target %s: data source %s is not the provisioned %s", uid, title, q.RefID, *q.Datasource.Uid, datasource)
			}
			if refs[q.RefID] {
				bad("dashboard %s: panel %q: refId %s twice", uid, title, q.RefID)
			}
			refs[q.RefID] = true
		}
	}
	return errors.Join(errs...)
}

// RulesYAML is the provisioning file.
func (b *Bundle) RulesYAML() ([]byte, error) { return b.Rules.MarshalYAML() }

// DashboardJSON is one dashboard as Grafana imports it.
func DashboardJSON(d dashboard.Dashboard) ([]byte, error) {
	j, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(j, '\n'), nil
}

// Files are the files of the bundle by path.
func (b *Bundle) Files() (map[string][]byte, error) {
	files := map[string][]byte{}
	y, err := b.RulesYAML()
	if err != nil {
		return nil, err
	}
	files[RulesPath] = y
	if files[DatasourcesPath], err = marshalYAML(&b.Datasources); err != nil {
		return nil, err
	}
	if files[DashboardProviderPath], err = marshalYAML(&b.Providers); err != nil {
		return nil, err
	}
	for _, d := range b.Dashboards {
		j, err := DashboardJSON(d)
		if err != nil {
			return nil, err
		}
		files[filepath.ToSlash(filepath.Join(DashboardsDir, *d.Uid+".json"))] = j
	}
	files[ReadmePath] = []byte(b.readme())
	return files, nil
}

// WriteDir writes alerting/ddm-rules.yaml, dashboards/*.json and a
// README naming each file into dir (created if needed).
func (b *Bundle) WriteDir(dir string) error {
	files, err := b.Files()
	if err != nil {
		return err
	}
	for _, p := range sortedPaths(files) {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sortedPaths(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ReadDir reads a directory WriteDir wrote, strictly (unknown keys are
// errors), into a Bundle whose Check can then run. Exported and Options
// are not restored.
func ReadDir(dir string) (*Bundle, error) {
	rf, err := readProvisioning(dir, RulesPath, ParseRuleFile)
	if err != nil {
		return nil, err
	}
	dsf, err := readProvisioning(dir, DatasourcesPath, ParseDatasourceFile)
	if err != nil {
		return nil, err
	}
	pf, err := readProvisioning(dir, DashboardProviderPath, ParseDashboardProviderFile)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Rules: *rf, Datasources: *dsf, Providers: *pf}
	paths, err := filepath.Glob(filepath.Join(dir, DashboardsDir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no dashboards", filepath.Join(dir, DashboardsDir))
	}
	sort.Strings(paths)
	for _, p := range paths {
		j, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var d dashboard.Dashboard
		if err := json.Unmarshal(j, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if err := sameJSON(j, d); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if d.Uid == nil || *d.Uid+".json" != filepath.Base(p) {
			return nil, fmt.Errorf("%s: the file is not named after the dashboard's uid", p)
		}
		b.Dashboards = append(b.Dashboards, d)
	}
	if _, err := os.Stat(filepath.Join(dir, ReadmePath)); err != nil {
		return nil, err
	}
	return b, nil
}

// readProvisioning reads one provisioning file of dir with its strict
// parser; errors name the file.
func readProvisioning[T any](dir, path string, parse func([]byte) (*T, error)) (*T, error) {
	y, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return nil, err
	}
	v, err := parse(y)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// readme names every file and how to install it.
func (b *Bundle) readme() string {
	o := b.Options
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	p("# ddm for Grafana")
	p("")
	p("Generated by `ddm rules export --grafana` for the InfluxDB data source %q (uid `%s`, %s).", o.DatasourceName, o.DatasourceUID, o.Language)
	if o.Language == Flux {
		p("Queries read bucket `%s`; the data source must be configured with `jsonData.version: Flux`.", o.Bucket)
	} else {
		p("Queries are InfluxQL and read the data source's database (ddm's `influx.bucket`, `%s`).", o.Bucket)
	}
	p("")
	p("| file | what |")
	p("|---|---|")
	p("| `%s` | Grafana alert rule provisioning file (apiVersion 1): group `%s` in folder `%s`, evaluated every %s, one rule per ddm rule. |",
		RulesPath, o.Group, o.Folder, promDuration(o.Interval))
	p("| `%s` | Data source provisioning file: InfluxDB %q (uid `%s`) at %s, %s. |", DatasourcesPath, o.DatasourceName, o.DatasourceUID, o.InfluxURL, o.datasourceWhat())
	p("| `%s` | Dashboard provider: loads `%s/*.json` into folder `%s`. |", DashboardProviderPath, o.DashboardsPath, o.Folder)
	for _, d := range b.Dashboards {
		desc := ""
		if d.Description != nil {
			desc = *d.Description
		}
		p("| `%s/%s.json` | Dashboard %q: %s |", DashboardsDir, *d.Uid, *d.Title, desc)
	}
	p("| `%s` | This file. |", ReadmePath)
	p("")
	p("Install: copy `alerting/`, `datasources/` and `dashboards/` into Grafana's provisioning directory")
	p("(`cp -r alerting datasources dashboards /etc/grafana/provisioning/`) and restart Grafana. The dashboard")
	p("provider reads the dashboards from `%s` (`ddm rules export --dashboards-path` changes it).", o.DashboardsPath)
	p("The data source carries no credentials: an InfluxDB with authentication needs them added in Grafana")
	p("(InfluxQL: user and password; Flux: a token), or under `secureJsonData` in `%s`.", DatasourcesPath)
	p("")
	p("## Rules")
	p("")
	p("| ddm rule | Grafana uid | evaluated by | how |")
	p("|---|---|---|---|")
	for _, e := range b.Exported {
		by := "Grafana"
		if e.Local {
			by = "the agent (xcvr_alarm)"
		}
		p("| `%s` | `%s` | %s | %s |", e.Rule, e.UID, by, strings.ReplaceAll(e.How, "|", "\\|"))
	}
	p("")
	p("Every alert has the labels `rule` and `severity` (for routing), the rule's own labels, and")
	p("`host`, `port` and, for lane rules, `lane`. `noDataState` is OK: a query without series is")
	p("the normal state (no alarms); data that stops is what `absent:` rules are for. Query failures")
	p("raise Grafana's DatasourceError alert (`execErrState: Error`).")
	return w.String()
}

// datasourceWhat says what the data source reads.
func (o Options) datasourceWhat() string {
	if o.Language == Flux {
		return "Flux, bucket `" + o.Bucket + "`"
	}
	db, _ := o.bucketParts()
	return "InfluxQL, database `" + db + "`"
}
