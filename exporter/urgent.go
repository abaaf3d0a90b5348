package exporter

// Urgent is a sink with a lane for events: WriteNow sends the points at
// once instead of with the next batch, with the same guarantees as Write
// (the InfluxWriter spools them to disk through an outage and delivers
// each once).
type Urgent interface {
	WriteNow(points ...Point)
}

// WriteNow writes points to s at once if it has an urgent lane (Urgent),
// else with Write.
func WriteNow(s Sink, points ...Point) {
	if u, ok := s.(Urgent); ok {
		u.WriteNow(points...)
		return
	}
	s.Write(points...)
}

// WriteNow queues the points as Write does but in the urgent lane: its
// spooler writes them to its own spool at once and its sender sends them
// as soon as they are on disk, beside (not after) the batches of Write in
// flight. During a server outage they wait in their spool with the urgent
// lane's own backoff, and each is delivered once.
func (w *InfluxWriter) WriteNow(points ...Point) {
	w.write(w.urgent, points)
}

// WriteNow writes the points to each sink through its urgent lane, if any.
func (m multi) WriteNow(points ...Point) {
	for _, s := range m {
		WriteNow(s, points...)
	}
}

var (
	_ Urgent = (*InfluxWriter)(nil)
	_ Urgent = multi(nil)
)
