//go:build !amd64 || purego

package inspect

// bestKernel is the portable loop: the vector kernels are written for amd64.
const bestKernel = kernelPortable

// classifyVBMI is never called with the portable kernel.
func classifyVBMI(*[256]byte, uint64, *byte, int, *blockMasks) {
	panic("inspect: no VBMI classifier on this platform")
}

// classifyAVX2 is never called with the portable kernel.
func classifyAVX2(*nibbleTables, *byte, int, *blockMasks) {
	panic("inspect: no AVX2 classifier on this platform")
}
