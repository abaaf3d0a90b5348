package cmis

import (
	"reflect"
	"testing"
)

// TestSameSlotCoversVDMValue: sameSlot lets a refilled VDM value keep its
// fields when they are the slot's; it must compare every field that does
// not come from the sample. A field added to VDMValue fails here until
// sameSlot (or this list) says which kind it is.
func TestSameSlotCoversVDMValue(t *testing.T) {
	fromSample := map[string]bool{"Raw": true, "Value": true, "Flags": true}
	th := Thresholds{HighAlarm: 1}
	tmpl := VDMValue{TypeID: 4, Observable: "laser_temperature", Lane: 3, Unit: "C", Group: 1, Slot: 2, Bank: 0, Thresholds: &th}
	typ := reflect.TypeOf(tmpl)
	for i := 0; i < typ.NumField(); i++ {
		v := tmpl
		f := reflect.ValueOf(&v).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Float32, reflect.Float64:
			f.SetFloat(f.Float() + 1)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(f.Uint() + 1)
		default:
			t.Fatalf("VDMValue.%s: kind %s not handled by this test", typ.Field(i).Name, f.Kind())
		}
		name := typ.Field(i).Name
		if got := sameSlot(&v, &tmpl); got != fromSample[name] {
			t.Errorf("VDMValue.%s differs: sameSlot = %v, want %v", name, got, fromSample[name])
		}
	}
}
