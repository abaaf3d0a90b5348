// Package bypass is a transport that tries to be an i2c.Memory on its own,
// without a Guard: every method, and a guarded() of its own. It must not
// compile (i2c's TestNewTransportCannotBypassTheGuard builds it).
package bypass

import (
	"context"

	"github.com/ddm-agent/ddm/i2c"
)

type raw struct{}

func (raw) Read(context.Context, uint8, uint8, uint8, int, []byte) error  { return nil }
func (raw) Write(context.Context, uint8, uint8, uint8, int, []byte) error { return nil }
func (raw) SetRules(i2c.Rules) error                                      { return nil }
func (raw) Stats() i2c.Stats                                              { return i2c.Stats{} }
func (raw) String() string                                                { return "raw" }
func (raw) guarded()                                                      {}

// Memory is what the agent would be handed.
var Memory i2c.Memory = raw{}
