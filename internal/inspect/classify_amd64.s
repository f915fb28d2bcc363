//go:build !purego

#include "textflag.h"

// func classifyVector(flags *[256]byte, blk *[64]byte) (class, digit, pair uint64)
TEXT ·classifyVector(SB), NOSPLIT, $0-40
	MOVQ flags+0(FP), AX
	MOVQ blk+8(FP), BX
	VMOVDQU64 (AX), Z1
	VMOVDQU64 64(AX), Z2
	VMOVDQU64 128(AX), Z3
	VMOVDQU64 192(AX), Z4
	VMOVDQU64 (BX), Z0

	// Flags of the bytes below 0x80 (Z5) and of the bytes from 0x80 (Z6),
	// by the low seven bits of each byte; the top bit picks one (Z7).
	VMOVDQU64 Z0, Z5
	VPERMI2B  Z2, Z1, Z5
	VMOVDQU64 Z0, Z6
	VPERMI2B  Z4, Z3, Z6
	VPMOVB2M  Z0, K1
	VPBLENDMB Z6, Z5, K1, Z7

	// The flags' top bit is the class mask; doubling each byte brings the
	// digit flag, then the pair flag, to the top.
	VPMOVB2M Z7, K2
	KMOVQ    K2, class+16(FP)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K3
	KMOVQ    K3, digit+24(FP)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K4
	KMOVQ    K4, pair+32(FP)
	VZEROUPPER
	RET
