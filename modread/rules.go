package modread

import (
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
)

// BusRules is what the I²C guard must know of the module standards, taken
// from the decoder, where each is defined once: where the VDM freeze bit
// is (the one write besides the page select), which identifiers have an
// A0h without page select (SFF-8472), and how many banks a module has.
// Every Reader gives them to its Memory; a Memory without them refuses
// every write.
func BusRules() i2c.Rules {
	return i2c.Rules{
		FreezePage:   cmis.VDMControlPage,
		FreezeOffset: cmis.VDMFreezeRequest,
		FreezeBit:    cmis.VDMFreezeRequestBit,
		UnpagedIDs:   cmis.SFF8472Identifiers(),
		MaxBanks:     cmis.MaxBanks,
	}
}

// bind gives mem the rules.
func bind(mem i2c.Memory) error { return mem.SetRules(BusRules()) }
