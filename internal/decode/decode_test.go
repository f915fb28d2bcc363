package decode

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestParseEncodings(t *testing.T) {
	defer goleak.VerifyNone(t)
	tests := []struct {
		give    string
		want    []string
		wantErr string // masked coding in the *UnsupportedError, or "layers"
	}{
		{give: "", want: nil},
		{give: "identity", want: nil},
		{give: "gzip", want: []string{Gzip}},
		{give: " GZip ,\tbr", want: []string{Gzip, Brotli}},
		{give: "x-gzip, identity, zstd", want: []string{Gzip, Zstd}},
		{give: "deflate,,", want: []string{Deflate}},
		{give: "gzip, compress", wantErr: "compress"},
		{give: "x-138123", wantErr: "x-******"},
		{give: "gzip, gzip, gzip, gzip", wantErr: "layers"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseEncodings(tt.give)
			var ue *UnsupportedError
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseEncodings(%q) error %v", tt.give, err)
			case tt.wantErr == "layers" && (!errors.As(err, &ue) || ue.Layers != 4):
				t.Fatalf("ParseEncodings(%q) = %v, want too many layers", tt.give, err)
			case tt.wantErr != "" && tt.wantErr != "layers" && (!errors.As(err, &ue) || ue.Encoding != tt.wantErr):
				t.Fatalf("ParseEncodings(%q) = %v, want unsupported %q", tt.give, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseEncodings(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestNewDecoderUnsupported(t *testing.T) {
	defer goleak.VerifyNone(t)
	_, err := NewDecoder(bytes.NewReader(nil), []string{"lzma"}, Limits{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Encoding != "lzma" {
		t.Fatalf("NewDecoder(lzma) error = %v, want *UnsupportedError", err)
	}
}

func TestNewDecoderRoundTrip(t *testing.T) {
	defer goleak.VerifyNone(t)
	payloads := map[string][]byte{"0B": {}, "1B": {'x'}, "100KiB": piText(100 << 10), "random": randomBytes(100 << 10)}
	for _, c := range testCodecs {
		for name, plain := range payloads {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				d, err := NewDecoder(bytes.NewReader(encode(t, c, plain)), c.encodings, Limits{})
				if err != nil {
					t.Fatalf("new decoder: %v", err)
				}
				got, err := io.ReadAll(d)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if err := d.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("decoded %d bytes, want the %d encoded", len(got), len(plain))
				}
			})
		}
	}
}

// TestNewDecoderEmptyBody checks that an empty body with a coding declared
// is empty content, not an error.
func TestNewDecoderEmptyBody(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, c := range testCodecs {
		d, err := NewDecoder(bytes.NewReader(nil), c.encodings, Limits{})
		if err != nil {
			t.Fatalf("%s: new decoder: %v", c.name, err)
		}
		if n, err := io.Copy(io.Discard, d); n != 0 || err != nil {
			t.Errorf("%s: empty body decoded to %d bytes, %v", c.name, n, err)
		}
		_ = d.Close()
	}
}

func TestNewDecoderBadStreams(t *testing.T) {
	defer goleak.VerifyNone(t)
	plain := piText(64 << 10)
	for _, c := range testCodecs[1:] {
		enc := encode(t, c, plain)
		corrupt := bytes.Clone(enc)
		for i := len(corrupt) / 3; i < len(corrupt)/3+16; i++ {
			corrupt[i] ^= 0x5a
		}
		tests := []struct {
			give      string
			body      []byte
			mayDecode bool
		}{
			{give: "truncated", body: enc[:len(enc)/2]},
			{give: "truncated-tail", body: enc[:len(enc)-1]},
			{give: "corrupt", body: corrupt, mayDecode: c.rawDeflate}, // raw deflate has no checksum
			{give: "trailing", body: append(bytes.Clone(enc), "13812345678"...)},
			{give: "garbage", body: []byte("this is not compressed at all, not even a header")},
		}
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.give, func(t *testing.T) {
				d, err := NewDecoder(bytes.NewReader(tt.body), c.encodings, Limits{})
				if err != nil {
					t.Fatalf("new decoder: %v", err)
				}
				defer d.Close()
				_, err = io.Copy(io.Discard, d)
				if err == nil && !tt.mayDecode {
					t.Fatal("decoding succeeded, want an error")
				}
				if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrRatio) {
					t.Fatalf("error %v is a limit, want a decode error", err)
				}
			})
		}
	}
}

func TestNewDecoderLimits(t *testing.T) {
	defer goleak.VerifyNone(t)
	zeros := make([]byte, 4<<20)
	tests := []struct {
		give    string
		c       codec
		lim     Limits
		want    error
		wantMax int64 // the output never exceeds this
	}{
		{give: "gzip-max", c: testCodecs[1], lim: Limits{MaxDecoded: 3 << 20, MaxRatio: 1 << 20}, want: ErrTooLarge, wantMax: 3 << 20},
		{give: "gzip-ratio", c: testCodecs[1], lim: Limits{}, want: ErrRatio, wantMax: ratioFloor + batch},
		{give: "zstd-max", c: testCodecs[5], lim: Limits{MaxDecoded: 1000, MaxRatio: 1 << 20}, want: ErrTooLarge, wantMax: 1000},
		{give: "br-ratio", c: testCodecs[4], lim: Limits{MaxRatio: 10}, want: ErrRatio, wantMax: ratioFloor + batch},
		{give: "identity-max", c: testCodecs[0], lim: Limits{MaxDecoded: 5}, want: ErrTooLarge, wantMax: 5},
		{give: "stacked-inner-ratio", c: testCodecs[6], lim: Limits{MaxRatio: 50}, want: ErrRatio, wantMax: ratioFloor + batch},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			d, err := NewDecoder(bytes.NewReader(encode(t, tt.c, zeros)), tt.c.encodings, tt.lim)
			if err != nil {
				t.Fatalf("new decoder: %v", err)
			}
			defer d.Close()
			n, err := io.CopyBuffer(io.Discard, d, make([]byte, batch))
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if n > tt.wantMax {
				t.Fatalf("decoded %d bytes, want at most %d", n, tt.wantMax)
			}
		})
	}
}

func TestIsZlibHeader(t *testing.T) {
	tests := []struct {
		give []byte
		want bool
	}{
		{give: []byte{0x78, 0x9c}, want: true},
		{give: []byte{0x78, 0x01}, want: true},
		{give: []byte{0x78, 0xda}, want: true},
		{give: []byte{0x78, 0x9d}, want: false}, // bad check bits
		{give: []byte{0x88, 0x98}, want: false}, // window too large
		{give: []byte{0xcb, 0x48}, want: false}, // raw deflate of "hello"
		{give: []byte{0x78}, want: false},
	}
	for _, tt := range tests {
		if got := isZlibHeader(tt.give); got != tt.want {
			t.Errorf("isZlibHeader(% x) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
