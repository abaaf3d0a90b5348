package cmis

// Placeholder: replaced by the SFF-8636 decoder.
func decodeSFF8636(s *Snapshot, m *Module) { m.Spec = "SFF-8636" }

func planSFF8636(s *Snapshot, c Cadence) []Range { return nil }
