package decode

import (
	"bytes"
	"io"
	"testing"
)

// fuzzChains are the codec paths the fuzz targets pick from by index.
var fuzzChains = [][]string{nil, {Gzip}, {Deflate}, {Brotli}, {Zstd}, {Gzip, Brotli}, {Zstd, Deflate}}

// addFuzzSeeds adds a valid body of every codec path plus a few broken ones.
func addFuzzSeeds(f *testing.F) {
	plain := piText(4 << 10)
	for i, c := range testCodecs {
		enc := encode(f, c, plain)
		idx := uint8(0)
		for j, chain := range fuzzChains {
			if len(chain) == len(c.encodings) && (len(chain) == 0 || chain[0] == c.encodings[0]) {
				idx = uint8(j)
			}
		}
		f.Add(idx, enc)
		f.Add(idx, enc[:len(enc)/2])
		f.Add(uint8(i), enc)
	}
	f.Add(uint8(1), encode(f, testCodecs[1], make([]byte, 2<<20))) // ratio bomb
	f.Add(uint8(2), []byte{0x78, 0x9c})
	f.Add(uint8(3), []byte{})
}

// FuzzDecoder checks that no input makes a decoder panic or exceed its
// limits.
func FuzzDecoder(f *testing.F) {
	addFuzzSeeds(f)
	lim := Limits{MaxDecoded: 1 << 20, MaxRatio: 20}
	f.Fuzz(func(t *testing.T, idx uint8, data []byte) {
		chain := fuzzChains[int(idx)%len(fuzzChains)]
		d, err := NewDecoder(bytes.NewReader(data), chain, lim)
		if err != nil {
			t.Fatalf("new decoder: %v", err)
		}
		defer d.Close()
		n, _ := io.Copy(io.Discard, d)
		if n > lim.MaxDecoded {
			t.Fatalf("decoded %d bytes, over the %d limit", n, lim.MaxDecoded)
		}
		if n > ratioFloor+batch && n > int64(lim.MaxRatio)*int64(len(data))+batch {
			t.Fatalf("decoded %d bytes from %d, over ratio %d", n, len(data), lim.MaxRatio)
		}
	})
}

// FuzzEnforcingReader checks that whatever the body, an allowed one is
// forwarded byte for byte and a scanner never sees more than the limit.
func FuzzEnforcingReader(f *testing.F) {
	addFuzzSeeds(f)
	lim := Limits{MaxDecoded: 1 << 20, MaxRatio: 20, Lag: 1 << 10}
	f.Fuzz(func(t *testing.T, idx uint8, data []byte) {
		chain := fuzzChains[int(idx)%len(fuzzChains)]
		s := newScanner(t)
		er := NewEnforcingReader(bytes.NewReader(data), chain, s, allow, (&reasons{}).hook, lim)
		defer er.Close()
		got, err := io.ReadAll(er)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("forwarded %d bytes differ from the %d original ones", len(got), len(data))
		}
		if s.Tally().Bytes > lim.MaxDecoded {
			t.Fatalf("scanned %d bytes, over the %d limit", s.Tally().Bytes, lim.MaxDecoded)
		}
	})
}

// FuzzParseEncodings checks that parsing never panics and that what it
// accepts is supported and reparses to itself.
func FuzzParseEncodings(f *testing.F) {
	for _, s := range []string{"", "gzip", "x-gzip, br", "identity,zstd", "gzip,,deflate", "compress", "GZIP ,\tBr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got, err := ParseEncodings(header)
		if err != nil {
			return
		}
		if err := checkEncodings(got); err != nil {
			t.Fatalf("ParseEncodings(%q) = %q, unsupported: %v", header, got, err)
		}
		var joined bytes.Buffer
		for i, e := range got {
			if i > 0 {
				joined.WriteString(", ")
			}
			joined.WriteString(e)
		}
		again, err := ParseEncodings(joined.String())
		if err != nil || len(again) != len(got) {
			t.Fatalf("reparse of %q = %q, %v", joined.String(), again, err)
		}
	})
}
