//go:build !amd64 || purego

package inspect

// haveVectorClassifier is false: the vector kernel is written for amd64.
const haveVectorClassifier = false

// classifyVector is never called without haveVectorClassifier.
func classifyVector(*[256]byte, *byte, int, *blockMasks) {
	panic("inspect: no vector classifier on this platform")
}
