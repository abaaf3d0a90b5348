package grafana

import (
	"fmt"
	"net/url"
	"path"
)

// DatasourceFile is Grafana's data source provisioning file, version 1
// (provisioning/datasources/*.yaml): here the one InfluxDB data source
// every exported query names, so that the export works on a Grafana
// that has none configured.
type DatasourceFile struct {
	APIVersion  int64        `json:"apiVersion"`
	Datasources []Datasource `json:"datasources"`
}

// Datasource is one provisioned data source.
type Datasource struct {
	Name   string `json:"name"`
	UID    string `json:"uid"`
	Type   string `json:"type"`
	Access string `json:"access"`
	URL    string `json:"url"`
	OrgID  int64  `json:"orgId"`
	// Editable lets the user complete the data source in Grafana's UI
	// (credentials).
	Editable bool           `json:"editable"`
	JSONData InfluxJSONData `json:"jsonData"`
}

// InfluxJSONData is the jsonData of Grafana's InfluxDB data source.
type InfluxJSONData struct {
	// Version is the query language: InfluxQL or Flux.
	Version string `json:"version"`
	// DBName is the database InfluxQL queries read (ddm's bucket without
	// its retention policy).
	DBName   string `json:"dbName,omitempty"`
	HTTPMode string `json:"httpMode,omitempty"`
	// Organization and DefaultBucket are Flux's.
	Organization  string `json:"organization,omitempty"`
	DefaultBucket string `json:"defaultBucket,omitempty"`
}

// DashboardProviderFile is Grafana's dashboard provisioning file, version
// 1 (provisioning/dashboards/*.yaml): a file provider that loads the
// exported dashboards from a directory into a folder.
type DashboardProviderFile struct {
	APIVersion int64               `json:"apiVersion"`
	Providers  []DashboardProvider `json:"providers"`
}

// DashboardProvider is one dashboard provider.
type DashboardProvider struct {
	Name   string `json:"name"`
	OrgID  int64  `json:"orgId"`
	Folder string `json:"folder"`
	Type   string `json:"type"`
	// DisableDeletion keeps a dashboard whose file was removed; false: the
	// directory is the truth.
	DisableDeletion bool `json:"disableDeletion"`
	// AllowUIUpdates: edits in the UI are kept until the file changes.
	AllowUIUpdates        bool                     `json:"allowUiUpdates"`
	UpdateIntervalSeconds int64                    `json:"updateIntervalSeconds"`
	Options               DashboardProviderOptions `json:"options"`
}

// DashboardProviderOptions are a file provider's options.
type DashboardProviderOptions struct {
	// Path is the directory of the dashboard JSON files on the Grafana
	// host.
	Path string `json:"path"`
}

// datasourceFile is the data source of the options.
func (o Options) datasourceFile() DatasourceFile {
	ds := Datasource{Name: o.DatasourceName, UID: o.DatasourceUID, Type: DatasourceType, Access: "proxy",
		URL: o.InfluxURL, OrgID: o.OrgID, Editable: true}
	if o.Language == Flux {
		ds.JSONData = InfluxJSONData{Version: "Flux", DefaultBucket: o.Bucket}
	} else {
		db, _ := o.bucketParts()
		ds.JSONData = InfluxJSONData{Version: "InfluxQL", DBName: db, HTTPMode: "POST"}
	}
	return DatasourceFile{APIVersion: 1, Datasources: []Datasource{ds}}
}

// providerFile is the file provider of the exported dashboards.
func (o Options) providerFile() DashboardProviderFile {
	return DashboardProviderFile{APIVersion: 1, Providers: []DashboardProvider{{
		Name: "ddm", OrgID: o.OrgID, Folder: o.Folder, Type: "file", AllowUIUpdates: true,
		UpdateIntervalSeconds: 60, Options: DashboardProviderOptions{Path: o.DashboardsPath},
	}}}
}

// checkInfluxURL accepts an absolute http or https URL.
func checkInfluxURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("grafana: InfluxDB URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("grafana: InfluxDB URL %q: want http://HOST:PORT or https://HOST:PORT", s)
	}
	return nil
}

// checkDashboardsPath accepts an absolute, clean directory.
func checkDashboardsPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p {
		return fmt.Errorf("grafana: dashboards path %q: want an absolute directory on the Grafana host", p)
	}
	return nil
}

// Check validates the data source file: one InfluxDB data source with a
// uid, a URL and a query language.
func (f *DatasourceFile) Check() error {
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		return fmt.Errorf("data source file: want apiVersion 1 and one data source")
	}
	ds := f.Datasources[0]
	if ds.UID == "" || ds.Type != DatasourceType {
		return fmt.Errorf("data source file: data source %q: want a uid and type %s", ds.Name, DatasourceType)
	}
	if ds.JSONData.Version != "InfluxQL" && ds.JSONData.Version != "Flux" {
		return fmt.Errorf("data source file: version %q", ds.JSONData.Version)
	}
	return checkInfluxURL(ds.URL)
}

// Check validates the provider file: one file provider with an absolute
// path.
func (f *DashboardProviderFile) Check() error {
	if f.APIVersion != 1 || len(f.Providers) != 1 || f.Providers[0].Type != "file" {
		return fmt.Errorf("dashboard provider file: want apiVersion 1 and one file provider")
	}
	return checkDashboardsPath(f.Providers[0].Options.Path)
}

// ParseDatasourceFile reads a data source provisioning file strictly.
func ParseDatasourceFile(b []byte) (*DatasourceFile, error) {
	f := &DatasourceFile{}
	if err := parseYAMLStrict(b, f); err != nil {
		return nil, fmt.Errorf("data source file: %w", err)
	}
	return f, nil
}

// ParseDashboardProviderFile reads a dashboard provisioning file strictly.
func ParseDashboardProviderFile(b []byte) (*DashboardProviderFile, error) {
	f := &DashboardProviderFile{}
	if err := parseYAMLStrict(b, f); err != nil {
		return nil, fmt.Errorf("dashboard provider file: %w", err)
	}
	return f, nil
}
