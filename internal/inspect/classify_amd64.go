//go:build !purego

package inspect

import "golang.org/x/sys/cpu"

// bestKernel is the fastest block classifier this CPU runs: VBMI on Intel
// since Ice Lake and AMD since Zen 4, AVX2 on nearly every other amd64
// server, the portable loop on the rest.
var bestKernel = func() kernel {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VBMI:
		return kernelVBMI
	case cpu.X86.HasAVX2:
		return kernelAVX2
	}
	return kernelPortable
}()

// classifyVBMI fills out with the masks of the n blocks at src: the bytes
// whose flags (looked up in flags) have flagClass, flagDigit and flagPair
// set, 64 bytes at a time; two table permutes and a blend look up every
// byte's flags. The byte tab (0: none) is a guarded tab (stopTable.tab).
//
//go:noescape
func classifyVBMI(flags *[256]byte, tab uint64, src *byte, n int, out *blockMasks)

// classifyAVX2 is classifyVBMI with the nibble tables t, 32 bytes at a time.
//
//go:noescape
func classifyAVX2(t *nibbleTables, src *byte, n int, out *blockMasks)
