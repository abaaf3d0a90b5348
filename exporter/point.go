package exporter

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Kind is the type of a field value. A field name has one Kind forever
// (InfluxDB refuses a point whose field changes type: "field type
// conflict"); docs/SCHEMA.md lists each field's Kind and a test holds the
// constructors to it.
type Kind uint8

// Field kinds, as InfluxDB stores them.
const (
	Float  Kind = iota + 1 // float64, written 1.5
	Int                    // int64, written 3i
	String                 // string, written "x"
	Bool                   // bool, written true/false
)

func (k Kind) String() string {
	switch k {
	case Float:
		return "float"
	case Int:
		return "integer"
	case String:
		return "string"
	case Bool:
		return "boolean"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Tag is one tag of a point.
type Tag struct {
	Key, Value string
}

// Field is one typed field of a point: exactly one of F, I, S, B holds the
// value, as Kind says.
type Field struct {
	Key  string
	Kind Kind
	F    float64
	I    int64
	S    string
	B    bool
}

// Value returns the field's value as float64, int64, string or bool.
func (f Field) Value() any {
	switch f.Kind {
	case Float:
		return f.F
	case Int:
		return f.I
	case String:
		return f.S
	case Bool:
		return f.B
	}
	return nil
}

// Point is one line of telemetry. Build it with NewPoint and the Add
// methods, which keep tags sorted, leave out empty tag values (the client
// library drops them silently; ddm never emits them) and drop non-finite
// floats.
type Point struct {
	Measurement string
	// Tags are sorted by key; no value is empty.
	Tags   []Tag
	Fields []Field
	// Time is the time the values were read. A zero Time is replaced by the
	// time of Write (every point leaves ddm with an explicit timestamp).
	Time time.Time
	// NonFinite counts the float fields dropped at creation because their
	// value was NaN or ±Inf (they never reach a sink; sinks add this up in
	// Stats.NonFiniteFields).
	NonFinite int
}

// NewPoint starts a point.
func NewPoint(measurement string, t time.Time) Point {
	return Point{Measurement: measurement, Time: t}
}

// AddTag sets a tag, keeping Tags sorted. An empty value is not added (a tag
// that does not apply is absent).
func (p *Point) AddTag(key, value string) *Point {
	if value == "" {
		return p
	}
	i := sort.Search(len(p.Tags), func(i int) bool { return p.Tags[i].Key >= key })
	if i < len(p.Tags) && p.Tags[i].Key == key {
		p.Tags[i].Value = value
		return p
	}
	p.Tags = append(p.Tags, Tag{})
	copy(p.Tags[i+1:], p.Tags[i:])
	p.Tags[i] = Tag{key, value}
	return p
}

// Tag returns the value of a tag ("" when absent).
func (p *Point) Tag(key string) string {
	for _, t := range p.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// Field returns a field by key.
func (p *Point) Field(key string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// AddFloat adds a float field. NaN and ±Inf are dropped and counted in
// NonFinite: line protocol cannot carry them and the client library would
// fail the whole point.
func (p *Point) AddFloat(key string, v float64) *Point {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		p.NonFinite++
		return p
	}
	p.Fields = append(p.Fields, Field{Key: key, Kind: Float, F: v})
	return p
}

// AddFloatPtr adds a float field when v is not nil.
func (p *Point) AddFloatPtr(key string, v *float64) *Point {
	if v != nil {
		p.AddFloat(key, *v)
	}
	return p
}

// AddInt adds an integer field.
func (p *Point) AddInt(key string, v int64) *Point {
	p.Fields = append(p.Fields, Field{Key: key, Kind: Int, I: v})
	return p
}

// AddString adds a string field. Invalid UTF-8 is replaced by U+FFFD and
// line breaks by spaces, so that one point is always one line.
func (p *Point) AddString(key, v string) *Point {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	p.Fields = append(p.Fields, Field{Key: key, Kind: String, S: v})
	return p
}

// AddBool adds a boolean field.
func (p *Point) AddBool(key string, v bool) *Point {
	p.Fields = append(p.Fields, Field{Key: key, Kind: Bool, B: v})
	return p
}

// errNoFields is returned for a point without fields, which line protocol
// cannot express.
var errNoFields = errors.New("point has no fields")

// appendLine encodes p as one line of line protocol (without the trailing
// newline) with its timestamp in nanoseconds, truncated to precision.
func appendLine(dst []byte, p *Point, precision time.Duration) ([]byte, error) {
	if b, ok := appendLinePlain(dst, p, precision); ok {
		return b, nil
	}
	return appendLineChecked(dst, p, precision)
}

// appendLineChecked is appendLine through the line-protocol library, which
// checks and escapes every name and value.
func appendLineChecked(dst []byte, p *Point, precision time.Duration) ([]byte, error) {
	if len(p.Fields) == 0 {
		return dst, fmt.Errorf("%s: %w", p.Measurement, errNoFields)
	}
	var enc lineprotocol.Encoder
	enc.SetBuffer(dst)
	enc.StartLine(p.Measurement)
	for _, t := range p.Tags {
		enc.AddTag(t.Key, t.Value)
	}
	for _, f := range p.Fields {
		var v lineprotocol.Value
		ok := true
		switch f.Kind {
		case Float:
			v, ok = lineprotocol.FloatValue(f.F)
		case Int:
			v = lineprotocol.IntValue(f.I)
		case String:
			v, ok = lineprotocol.StringValue(f.S)
		case Bool:
			v = lineprotocol.BoolValue(f.B)
		default:
			ok = false
		}
		if !ok {
			return dst, fmt.Errorf("%s: field %q: invalid %v value", p.Measurement, f.Key, f.Kind)
		}
		enc.AddField(f.Key, v)
	}
	t := p.Time
	if precision > 1 {
		t = time.Unix(0, t.UnixNano()/int64(precision)*int64(precision))
	}
	enc.EndLine(t)
	if err := enc.Err(); err != nil {
		return dst, fmt.Errorf("%s: %w", p.Measurement, err)
	}
	return bytes.TrimSuffix(enc.Bytes(), []byte{'\n'}), nil
}

// LineProtocol returns p as one line of line protocol, timestamp in
// nanoseconds, without a trailing newline.
func (p Point) LineProtocol() (string, error) {
	b, err := appendLine(nil, &p, 0)
	return string(b), err
}

// validLine checks that b is exactly one well-formed line of line protocol
// with at least one field and a timestamp: what the spool accepts back from
// disk.
func validLine(b []byte) error {
	if len(b) == 0 || bytes.ContainsAny(b, "\n\r") {
		return errors.New("not a single line")
	}
	dec := lineprotocol.NewDecoderWithBytes(b)
	if !dec.Next() {
		return errors.New("no line")
	}
	if _, err := dec.Measurement(); err != nil {
		return err
	}
	for {
		k, _, err := dec.NextTag()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
	}
	n := 0
	for {
		k, _, err := dec.NextField()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		n++
	}
	if n == 0 {
		return errNoFields
	}
	ts, err := dec.TimeBytes()
	if err != nil {
		return err
	}
	if ts == nil {
		return errors.New("no timestamp")
	}
	if _, err := dec.Time(lineprotocol.Nanosecond, time.Time{}); err != nil {
		return err
	}
	if dec.Next() {
		return errors.New("more than one line")
	}
	return dec.Err()
}
