//go:build !purego

package inspect

import "golang.org/x/sys/cpu"

// haveVectorClassifier reports whether this CPU runs classifyVector: it
// needs AVX-512 byte permutes (VBMI), found on Intel since Ice Lake and AMD
// since Zen 4.
var haveVectorClassifier = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

// classifyVector fills out with the masks of the n blocks at src: the
// bytes whose flags (looked up in flags) have flagClass, flagDigit and
// flagPair set, 64 bytes at a time; two table permutes and a blend look up
// every byte's flags.
//
//go:noescape
func classifyVector(flags *[256]byte, src *byte, n int, out *blockMasks)
