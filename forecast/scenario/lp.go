package scenario

import (
	"io"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ddm-agent/ddm/schema"
)

// LP identity of generated modules: every generated port is one module
// of this part and firmware, so they form one cohort.
const (
	LPPart     = "SCENARIO-400G"
	LPFirmware = "1.0"
)

// WriteLP writes the lane as ddm's line protocol, as `ddm run --output lp`
// would for a module on port `port` whose lane 1 behaves like the lane:
// xcvr_info and xcvr_threshold at t0 (the lane's limit as the module's
// warning threshold), then one xcvr_lane point (or xcvr_vdm pre_fec_ber
// point) per sample until day `days`. The samples are Samples(seed, ...).
func (l *Lane) WriteLP(w io.Writer, host, port string, seed uint64, t0 time.Time, days float64) error {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	// Tags in key order, as the encoder requires; every extra tag here
	// sorts after "port".
	tags := func(extra ...string) {
		enc.AddTag(schema.TagHost, host)
		enc.AddTag(schema.TagPort, port)
		for i := 0; i+1 < len(extra); i += 2 {
			enc.AddTag(extra[i], extra[i+1])
		}
	}
	enc.StartLine(schema.XcvrInfo)
	tags()
	enc.AddField(schema.PartNumber, lineprotocol.MustNewValue(LPPart))
	enc.AddField(schema.FirmwareVersion, lineprotocol.MustNewValue(LPFirmware))
	enc.EndLine(t0)
	if l.Quantity != "pre_fec_ber" {
		// Warning at the lane's limit, alarm beyond it.
		hw, ha, lw, la := 1e6, 2e6, -1e6, -2e6
		if l.Limit.High {
			hw, ha = l.Limit.Value, l.Limit.Value*4/3
			lw, la = 0.5, 0.25
		} else {
			lw, la = l.Limit.Value, l.Limit.Value/2
			hw, ha = 5, 6
		}
		enc.StartLine(schema.XcvrThreshold)
		tags(schema.TagQuantity, l.Quantity)
		for _, f := range []struct {
			name string
			v    float64
		}{{schema.HighAlarmThreshold, ha}, {schema.LowAlarmThreshold, la}, {schema.HighWarningThreshold, hw}, {schema.LowWarningThreshold, lw}} {
			enc.AddField(f.name, lineprotocol.MustNewValue(f.v))
		}
		enc.AddField(schema.ChecksumFailed, lineprotocol.MustNewValue(false))
		enc.EndLine(t0)
	}
	var err error
	l.Samples(seed, t0, days, func(t time.Time, v float64) {
		if err != nil {
			return
		}
		if l.Quantity == "pre_fec_ber" {
			enc.StartLine(schema.XcvrVDM)
			enc.AddTag(schema.TagHost, host)
			enc.AddTag(schema.TagLane, "1")
			enc.AddTag(schema.TagObservable, "pre_fec_ber")
			enc.AddTag(schema.TagPort, port)
			enc.AddTag(schema.TagSide, "media")
			enc.AddField(schema.Value, lineprotocol.MustNewValue(v))
			enc.AddField(schema.TypeID, lineprotocol.MustNewValue(int64(15)))
		} else {
			enc.StartLine(schema.XcvrLane)
			enc.AddTag(schema.TagHost, host)
			enc.AddTag(schema.TagLane, "1")
			enc.AddTag(schema.TagPort, port)
			enc.AddField(schema.DataPathState, lineprotocol.MustNewValue("DPActivated"))
			enc.AddField(l.Quantity, lineprotocol.MustNewValue(v))
			enc.AddField("rx_los", lineprotocol.MustNewValue(false))
		}
		enc.EndLine(t)
		if len(enc.Bytes()) > 64<<10 {
			_, err = w.Write(enc.Bytes())
			enc.Reset()
		}
	})
	if err != nil {
		return err
	}
	if err := enc.Err(); err != nil {
		return err
	}
	_, err = w.Write(enc.Bytes())
	return err
}
