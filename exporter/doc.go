// Package exporter turns decoded modules into telemetry points and sends
// them to sinks: InfluxDB (with a disk spool), line protocol on a writer
// (Telegraf execd), and a Prometheus /metrics endpoint.
//
// Points: Point holds a measurement, sorted tags, typed fields (float64,
// int64, string, bool; one type per field name forever) and the read
// time. NaN and ±Inf are dropped when a field is added and counted in
// Point.NonFinite; empty tag values are never added. Encoding is
// github.com/influxdata/line-protocol/v2 (strict: it checks names, tag
// order and UTF-8 and refuses NaN), whose decoder also checks spool
// entries read back from disk. The client library's own line-protocol
// package (v1) is not used: ddm sends pre-encoded lines.
//
// Schema: ModulePoints, VDMPoints, InfoPoints, AbsentPoints, AlarmPoint,
// BusPoint, SinkPoint and the forecast, energy and laser-event points build
// the measurements docs/SCHEMA.md documents, under the names package schema
// declares; Schema() is that documentation as data, and the tests hold the
// constructors, the file and a real InfluxDB to it. The exporter knows
// decoded modules and its own types only: package pipeline maps the
// agent's samples and the alarm engine's events to points.
//
// Sinks: every sink implements Sink (Write never blocks on the network;
// Close flushes within the context's deadline); Multi fans out.
//
//   - InfluxWriter: Write → bounded memory queue → spooler goroutine →
//     spool (ddm's own: append-only segment files of length-prefixed,
//     CRC-checked records, one per batch; what the disk refuses is held in
//     memory, bounded, and still sent) → sender goroutine →
//     WriteAPIBlocking (gzip, precision ns) → the spool's head moves past
//     a batch only after the server resolved it, and a segment wholly sent
//     is deleted. Retries are timer-driven with capped exponential
//     backoff; refused points are isolated in a bounded number of requests
//     and known field type conflicts are rejected locally; the spool is
//     bounded and drops the oldest points, counted; a new writer on the
//     same directory replays what is spooled, skipping damaged records in
//     place. Failures are logged (the first of a kind at once, then a
//     summary per minute, and the recovery). See InfluxWriter and spool.
//     Every answer's body is read to at most 64 KiB.
//   - LineProtocolWriter: synchronous line protocol to an io.Writer.
//   - PromSink: latest values as <measurement>_<field>{tags} on its own
//     registry.
package exporter
