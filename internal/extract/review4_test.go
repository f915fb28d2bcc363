package extract

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestDecoderMemoryCharged: the memory a bzip2 or zstd decoder allocates
// counts against MaxTotal. Before, each layer allocated its block or
// window anew: a 186 KB zip of 2,000 tiny zstd frames declaring an 8 MiB
// window allocated 16.5 GB in 7.4 s, 2,000 empty bzip2 streams 6.9 GB in
// 3.1 s, and neither reported anything. Lists in a few compressed
// members still count as the bare scan does.
func TestDecoderMemoryCharged(t *testing.T) {
	e := newTestEngine(t)
	list, _, _ := compressedLists()
	members := func(n int, data []byte) []byte {
		fs := make([]zfile, n)
		for i := range fs {
			fs[i] = zfile{name: fmt.Sprintf("%d.bin", i), data: data, store: true}
		}
		return buildZip(t, fs...)
	}
	tests := []struct {
		name string
		give []byte
		same []byte
		want []string
	}{
		{"2000 empty bzip2 streams", members(2000, fixture(t, "empty.bz2")), nil, []string{ReasonOverLimit}},
		{"2000 zstd frames of 8 MiB windows", members(2000, rawFrame(0x68, []byte("x"))), nil, []string{ReasonOverLimit}},
		{"2000 small zstd frames", members(2000, zst(t, []byte("x"))), nil, nil},
		{"one window, many frames", cat(rawFrame(0x68, []byte("x")), rawFrame(0x68, list), rawFrame(0x60, list)), cat(list, list), nil},
		{"20 bzip2 lists", members(20, fixture(t, "list.csv.bz2")), bytesRepeat(list, 20), nil},
		{"20 zstd lists", members(20, zst(t, list, zstd.WithWindowSize(8<<20))), bytesRepeat(list, 20), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := extract(t, e, tt.give, "", Limits{}, 32<<10)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*DefaultMaxTotal {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			if tt.want == nil && got.counts != scanPlain(e, tt.same) {
				t.Errorf("counts %v, want %v", got.counts, scanPlain(e, tt.same))
			}
			if fmt.Sprint(got.reasons) != fmt.Sprint(tt.want) {
				t.Errorf("reasons %v, want %v", got.reasons, tt.want)
			}
		})
	}
}

// bytesRepeat is b, n times, each a part of its own: the bare scan of
// the parts' text, separated as parts are.
func bytesRepeat(b []byte, n int) []byte {
	var out []byte
	for range n {
		out = append(out, b...)
	}
	return out
}

// TestZstdWindow: the window a frame header declares.
func TestZstdWindow(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    []byte
		want int64
	}{
		{"8 MiB", cat(zstdMagic, []byte{0x00, 0x68}), 8 << 20},
		{"1 KiB", cat(zstdMagic, []byte{0x00, 0x00}), 1 << 10},
		{"1.5 MiB", cat(zstdMagic, []byte{0x00, 0x54}), 3 << 19},
		{"past the limit", cat(zstdMagic, []byte{0x00, 0xf8}), zstdMaxWindow + 1},
		{"single segment, 1-byte size", cat(zstdMagic, []byte{0x20, 200}), 200},
		{"single segment, 2-byte size", cat(zstdMagic, []byte{0x60, 0x00, 0x01}), 512},
		{"single segment, dictionary, 4-byte size", cat(zstdMagic, []byte{0xa1, 9, 0, 0, 0x10, 0}), 1 << 20},
		{"single segment, 8-byte size", cat(zstdMagic, []byte{0xe0, 0, 0, 0, 0, 0, 0, 0, 0x80}), zstdMaxWindow + 1},
		{"cut short", cat(zstdMagic, []byte{0xe0, 0}), 0},
		{"magic only", zstdMagic, 0},
	} {
		if got := zstdWindow(tt.h); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestNestedDecodersBounded: a zstd layer inside a zstd layer (or bzip2
// in bzip2) is over_limit and not decoded, so one upload holds one window
// and one block at most. Before, five nested frames declaring 8 MiB
// windows (9 KB) allocated 41 MB, eight such uploads at once 333 MB of
// heap (76 MB now). Other nestings decode as before.
func TestNestedDecodersBounded(t *testing.T) {
	e := newTestEngine(t)
	list, _, _ := compressedLists()
	bz := fixture(t, "list.csv.bz2")
	chain := list
	for range 5 {
		chain = rawFrame(0x68, chain)
	}
	over := []string{ReasonOverLimit}
	tests := []struct {
		name string
		give []byte
		same []byte
		want []string
	}{
		{"five zstd frames nested", chain, nil, over},
		{"zstd in zstd", zst(t, zst(t, list)), nil, over},
		{"zstd in gzip in zstd", zst(t, gz(t, zst(t, list))), nil, over},
		{"zstd in a zip in zstd", zst(t, buildZip(t, zfile{name: "c.csv.zst", data: zst(t, list)})), nil, over},
		{"bzip2 in zstd", rawFrame(0x68, bz), list, nil},
		{"gzip in zstd", zst(t, gz(t, list)), list, nil},
		{"two zstd files in a zip", buildZip(t, zfile{name: "a.zst", data: zst(t, list)}, zfile{name: "b.zst", data: zst(t, list)}), cat(list, list), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := extract(t, e, tt.give, "", Limits{}, 0)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			if got.counts != scanPlain(e, tt.same) {
				t.Errorf("counts %v, want %v", got.counts, scanPlain(e, tt.same))
			}
			if fmt.Sprint(got.reasons) != fmt.Sprint(tt.want) {
				t.Errorf("reasons %v, want %v", got.reasons, tt.want)
			}
		})
	}
}

// TestCompressedLeakBudget: lists between, after and inside zstd frames
// and bzip2 streams are never released before they are counted, in
// writes of 1 byte up to a block.
func TestCompressedLeakBudget(t *testing.T) {
	e := newTestEngine(t)
	list, first, second := compressedLists()
	bodies := map[string][]byte{
		"between zstd frames":     cat(zst(t, first), list, zst(t, second)),
		"in a skippable frame":    cat(zst(t, first), skippable(list), zst(t, second)),
		"after bzip2 streams":     cat(fixture(t, "first.csv.bz2"), fixture(t, "second.csv.bz2"), list),
		"zstd of a list in a zip": buildZip(t, zfile{name: "c.zst", data: zst(t, list), store: true}),
	}
	for name, body := range bodies {
		for _, chunk := range []int{1, 7, 4096} {
			t.Run(fmt.Sprintf("%s/%d", name, chunk), func(t *testing.T) {
				checkLeakBudget(t, e, body, "", Limits{}, chunk, 256)
			})
		}
	}
}
