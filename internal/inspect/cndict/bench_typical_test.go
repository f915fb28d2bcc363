package cndict

import "testing"

// BenchmarkIsAddressTypical measures one address of a customer export, the
// call the engine makes for every labelled address value.
func BenchmarkIsAddressTypical(b *testing.B) {
	v := []byte("广东省深圳市南山区科技园路88号3栋502室")
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		IsAddress(v)
	}
}
