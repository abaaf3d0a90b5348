package grafana

//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// CheckDashboardJSON validates a dashboard file against the foundation
// SDK's schema: a strict decode into the SDK's dashboard type, which
// decodes each panel's options and field config strictly by panel type
// (the SDK's panel plugins, registered by this package) and each target
// as an InfluxQuery (unknown keys refused), then the SDK's Validate. A
// required field that is missing or null, an unknown key or a value of
// the wrong type is an error, as in Grafana's own schema; so is a null
// anywhere the schema has no use for one (the SDK's decoders let an
// optional field be null, Grafana's schema does not), except the base
// step of a threshold, whose value is null by definition (-Infinity).
func CheckDashboardJSON(j []byte) error {
	var d dashboard.Dashboard
	errs := []error{sdkErr(d.UnmarshalJSONStrict(j))}
	if errs[0] == nil {
		errs = append(errs, sdkErr(d.Validate()))
	}
	var doc any
	if err := json.Unmarshal(j, &doc); err != nil {
		return err
	}
	for _, p := range nullPaths("", doc) {
		if !thresholdBase.MatchString(p) {
			errs = append(errs, fmt.Errorf("%s: null", p))
		}
	}
	return errors.Join(errs...)
}

// thresholdBase is the path of a threshold's base step value.
var thresholdBase = regexp.MustCompile(`\.thresholds\.steps\[0\]\.value$`)

// sdkErr is err, or nil for the empty cog.BuildErrors that the SDK's
// strict decoders and validators of v0.0.22 return for "no error".
func sdkErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// nullPaths lists the paths (panels[3].options.footer.reducer) of the
// null values in a decoded JSON document, sorted.
func nullPaths(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
		out = append(out, path)
	case map[string]any:
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, nullPaths(p, c)...)
		}
	case []any:
		for i, c := range x {
			out = append(out, nullPaths(path+"["+strconv.Itoa(i)+"]", c)...)
		}
	}
	sort.Strings(out)
	return out
}
