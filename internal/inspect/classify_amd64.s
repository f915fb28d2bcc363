//go:build !purego

#include "textflag.h"

// func classifyVector(flags *[256]byte, src *byte, n int, out *blockMasks)
TEXT ·classifyVector(SB), NOSPLIT, $0-32
	MOVQ flags+0(FP), AX
	MOVQ src+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	VMOVDQU64 (AX), Z1
	VMOVDQU64 64(AX), Z2
	VMOVDQU64 128(AX), Z3
	VMOVDQU64 192(AX), Z4
	XORQ DX, DX

block:
	CMPQ DX, CX
	JGE  done
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
	// digit flag, then the pair flag, to the top. out holds the class
	// masks, then the digit masks, then the pair masks: eight words each.
	VPMOVB2M Z7, K2
	KMOVQ    K2, (DI)(DX*8)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K3
	KMOVQ    K3, 64(DI)(DX*8)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K4
	KMOVQ    K4, 128(DI)(DX*8)

	ADDQ $64, BX
	INCQ DX
	JMP  block

done:
	VZEROUPPER
	RET
