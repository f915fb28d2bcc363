package extract

// Mapping text offsets back to raw offsets. Each active layer (a decoder,
// the text buffer, an archive being held) is a frame that says how many
// bytes of its input it has read without yet writing their text, and at
// most how many of its input bytes one byte of its output stands for. When
// the coroutine waits for input, the raw bytes consumed minus the summed
// lag of all frames have had all their text written: that raw offset is
// recorded against the text written so far, and becomes settled once the
// scanner has settled that text.

// infinite is the lag of a frame that holds everything it reads.
const infinite = 1 << 50

// frame is one active layer.
type frame struct {
	// held returns how many input bytes the layer holds (read, text not yet
	// written), in the units of its input; nil means fixed.
	held  func() int64
	fixed int64 // added to held: read-ahead of a library reader
	// scale bounds the input bytes per output byte handed to the next frame.
	scale int64
	// codec names the decompressor of the layer ("gzip", also for the
	// zlib streams of a PDF; "bzip2", "zstd"), or is empty: see decodingOnce.
	codec string
}

// mark records that raw bytes before raw have all their text before text.
type mark struct{ raw, text int64 }

// identity records that text[text:text+n] is raw[raw:raw+n], byte for byte.
type identity struct{ raw, text, n int64 }

// push makes f the innermost active frame.
func (x *Extractor) push(f *frame) *frame {
	if f.scale == 0 {
		f.scale = 1
	}
	x.frames = append(x.frames, f)
	return f
}

// pop removes the innermost frame.
func (x *Extractor) pop() { x.frames = x.frames[:len(x.frames)-1] }

// lag is how many consumed raw bytes may not have their text written yet.
func (x *Extractor) lag() int64 { return lagOf(x.frames) }

// lagAbove is the lag of the frames inside f, in the units of f's output.
func (x *Extractor) lagAbove(f *frame) int64 {
	for i := range x.frames {
		if x.frames[i] == f {
			return lagOf(x.frames[i+1:])
		}
	}
	return 0
}

// lagOf is the lag of a stack of frames, in the units of the first
// frame's input.
func lagOf(frames []*frame) int64 {
	lag, mult := int64(0), int64(1)
	for _, f := range frames {
		h := f.fixed
		if f.held != nil {
			h += f.held()
		}
		lag = min(lag+min(h, infinite)*mult, infinite)
		mult = min(mult*f.scale, 1<<20)
	}
	return lag
}

// mark records the current raw/text correspondence.
func (x *Extractor) mark() {
	raw := x.consumed - x.lag()
	if n := len(x.marks); n > 0 {
		last := &x.marks[n-1]
		if raw <= last.raw {
			return
		}
		if last.text == x.written {
			last.raw = raw
			return
		}
	} else if raw <= x.settled {
		return
	}
	x.marks = append(x.marks, mark{raw: raw, text: x.written})
}
