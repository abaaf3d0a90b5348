package grafana

// The tests hold the classic dashboard model, as bundle.go does.
//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestDashboardsStrictSchema decodes every exported dashboard, in both
// query languages, strictly into the foundation SDK's types (the
// dashboard, each panel's options and field config by panel type, every
// target as an InfluxQuery): a missing required field, a null where the
// schema wants a value (a table footer's reducer), an unknown key or a
// wrong type fails, as Grafana's schema validation would refuse it.
func TestDashboardsStrictSchema(t *testing.T) {
	for _, lang := range []Language{InfluxQL, Flux} {
		t.Run(string(lang), func(t *testing.T) {
			b, err := Export(defaultRules(t), Options{Language: lang})
			if err != nil {
				t.Fatal(err)
			}
			tables := 0
			for _, d := range b.Dashboards {
				j, err := DashboardJSON(d)
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckDashboardJSON(j); err != nil {
					t.Errorf("%s: %v", *d.Uid, err)
				}
				tables += strings.Count(string(j), `"type": "table"`)
			}
			if tables < 4 {
				t.Errorf("%d table panels: the test no longer covers the footer", tables)
			}
		})
	}
}

// TestCheckDashboardJSONRejects: the schema check catches what Grafana's
// strict schema refuses.
func TestCheckDashboardJSONRejects(t *testing.T) {
	b, err := Export(defaultRules(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var alarms dashboard.Dashboard
	for _, d := range b.Dashboards {
		if *d.Uid == AlarmsUID {
			alarms = d
		}
	}
	good, err := DashboardJSON(alarms)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"null footer reducer", `"reducer": []`, `"reducer": null`, "footer.reducer"},
		{"unknown panel key", `"gridPos": {`, `"gridpos": {}, "gridPos": {`, "gridpos"},
		{"unknown option", `"showHeader": true`, `"showHeader": true, "showHeadr": true`, "showHeadr"},
		{"unknown query key", `"refId": "A"`, `"refId": "A", "qeury": "x"`, "qeury"},
		{"wrong type", `"showHeader": true`, `"showHeader": "yes"`, "showHeader"},
		{"null title", `"title": "ddm active alarms"`, `"title": null`, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.from, tc.to, 1)
			if bad == string(good) {
				t.Fatalf("%q not in the dashboard", tc.from)
			}
			err := CheckDashboardJSON([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
	if err := CheckDashboardJSON(good); err != nil {
		t.Errorf("the good dashboard: %v", err)
	}
}

// TestProvisioningFiles: the export carries a data source and a dashboard
// provider file, typed and read back strictly; the data source is the one
// every query names, with the URL, database or bucket and language.
func TestProvisioningFiles(t *testing.T) {
	for _, tc := range []struct {
		lang                 Language
		version, db, bucket  string
		url                  string
		wantDBName, wantFlux bool
	}{
		{lang: InfluxQL, version: "InfluxQL", db: "telemetry", url: "http://10.0.0.5:8086", wantDBName: true},
		{lang: Flux, version: "Flux", bucket: "telemetry/autogen", url: "https://influx.example:8086", wantFlux: true},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			b, err := Export(defaultRules(t), Options{Language: tc.lang, DatasourceUID: "influx-7", Bucket: "telemetry/autogen",
				InfluxURL: tc.url, Folder: "Optics", DashboardsPath: "/var/lib/grafana/ddm"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := b.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			dsf, err := readProvisioning(dir, DatasourcesPath, ParseDatasourceFile)
			if err != nil {
				t.Fatal(err)
			}
			if dsf.APIVersion != 1 || len(dsf.Datasources) != 1 {
				t.Fatalf("%+v", dsf)
			}
			ds := dsf.Datasources[0]
			if ds.UID != "influx-7" || ds.Type != DatasourceType || ds.URL != tc.url || ds.Access != "proxy" ||
				ds.JSONData.Version != tc.version || ds.OrgID != 1 {
				t.Errorf("data source %+v", ds)
			}
			if tc.wantDBName && (ds.JSONData.DBName != "telemetry" || ds.JSONData.HTTPMode != "POST") {
				t.Errorf("InfluxQL data source without its database: %+v", ds.JSONData)
			}
			if tc.wantFlux && ds.JSONData.DefaultBucket != "telemetry/autogen" {
				t.Errorf("Flux data source without its bucket: %+v", ds.JSONData)
			}

			pf, err := readProvisioning(dir, DashboardProviderPath, ParseDashboardProviderFile)
			if err != nil {
				t.Fatal(err)
			}
			if pf.APIVersion != 1 || len(pf.Providers) != 1 {
				t.Fatalf("%+v", pf)
			}
			p := pf.Providers[0]
			if p.Type != "file" || p.Folder != "Optics" || p.Options.Path != "/var/lib/grafana/ddm" || p.OrgID != 1 {
				t.Errorf("provider %+v", p)
			}

			back, err := ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := back.Check(); err != nil {
				t.Error(err)
			}
			readme, _ := os.ReadFile(filepath.Join(dir, ReadmePath))
			for _, f := range []string{DatasourcesPath, DashboardProviderPath} {
				if !strings.Contains(string(readme), f) {
					t.Errorf("README does not name %s", f)
				}
			}
		})
	}
}

// TestProvisioningRejects: an unknown key in a provisioning file, a data
// source other than the queries', a relative dashboards path are errors.
func TestProvisioningRejects(t *testing.T) {
	b, err := Export(defaultRules(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := b.Files()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDatasourceFile(append(files[DatasourcesPath], []byte("    basicAuthh: true\n")...)); err == nil {
		t.Error("unknown data source key accepted")
	}
	if _, err := ParseDashboardProviderFile([]byte("apiVersion: 1\nproviders:\n  - name: ddm\n    typ: file\n")); err == nil {
		t.Error("unknown provider key accepted")
	}
	other := *b
	other.Datasources.Datasources = append([]Datasource(nil), b.Datasources.Datasources...)
	other.Datasources.Datasources[0].UID = "someone-else"
	if err := other.Check(); err == nil || !strings.Contains(err.Error(), "someone-else") {
		t.Errorf("queries on a data source the file does not provision: %v", err)
	}
	if _, err := Export(defaultRules(t), Options{DashboardsPath: "dashboards"}); err == nil {
		t.Error("relative dashboards path accepted")
	}
	if _, err := Export(defaultRules(t), Options{InfluxURL: "127.0.0.1:8086"}); err == nil {
		t.Error("URL without scheme accepted")
	}
}
