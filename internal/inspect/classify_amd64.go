//go:build !purego

package inspect

import "golang.org/x/sys/cpu"

// haveVectorClassifier reports whether this CPU runs classifyVector: it
// needs AVX-512 byte permutes (VBMI), found on Intel since Ice Lake and AMD
// since Zen 4.
var haveVectorClassifier = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI

// classifyVector returns the masks of the bytes of blk whose flags (looked
// up in flags) have flagClass, flagDigit and flagPair set, 64 bytes at once:
// two table permutes and a blend look up every byte's flags.
//
//go:noescape
func classifyVector(flags *[256]byte, blk *[64]byte) (class, digit, pair uint64)
