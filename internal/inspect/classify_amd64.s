//go:build !purego

#include "textflag.h"

// func classifyVBMI(flags *[256]byte, tab uint64, src *byte, n int, out *blockMasks)
TEXT ·classifyVBMI(SB), NOSPLIT, $0-40
	MOVQ flags+0(FP), AX
	MOVQ tab+8(FP), R9
	VPBROADCASTB R9, Z11 // the guarded tab byte
	MOVQ src+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DI
	VMOVDQU64 (AX), Z1
	VMOVDQU64 64(AX), Z2
	VMOVDQU64 128(AX), Z3
	VMOVDQU64 192(AX), Z4
	MOVQ  $0x8000000000000000, R8 // bit 63: the next block's first byte, unseen
	KMOVQ R8, K7
	MOVQ  $1, R9 // bit 0: the byte before the block, unseen
	KMOVQ R9, K0
	MOVQ  $4, R9 // flagGuardedBar
	VPBROADCASTB R9, Z8
	MOVQ  $2, R9 // flagRowStart
	VPBROADCASTB R9, Z9
	MOVQ  $1, R9 // flagCell
	VPBROADCASTB R9, Z10
	XORQ  DX, DX

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
	VPTESTMB  Z8, Z7, K1 // guarded bars
	VPTESTMB  Z9, Z7, K3 // row starts
	VPMOVB2M  Z7, K2     // class bytes

	// A guarded tab is no class byte unless cell bytes stand on both
	// sides of it: K5 = guarded tabs (most blocks have none), K4 = cell
	// bytes, K6 = cell bytes one byte back and one on (unseen bits kept).
	VPCMPEQB Z11, Z0, K5
	KORTESTQ K5, K5
	JZ       notabs
	VPTESTMB Z10, Z7, K4
	KSHIFTLQ $1, K4, K6
	KORQ     K0, K6, K6
	KSHIFTRQ $1, K4, K4
	KORQ     K7, K4, K4
	KANDQ    K4, K6, K6
	KANDNQ   K5, K6, K5
	KANDNQ   K2, K5, K2

notabs:
	// The flags' top bit is the class mask; doubling each byte brings the
	// digit flag, then the pair flag, then the guarded and value-start
	// flags to the top. out holds the class masks, then the digit masks,
	// then the pair masks: eight words each.
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K4
	KMOVQ    K4, 64(DI)(DX*8)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K4
	KMOVQ    K4, 128(DI)(DX*8)
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K5
	VPADDB   Z7, Z7, Z7
	VPMOVB2M Z7, K6

	// A guarded separator before a byte that starts no value is no
	// class byte: K6 = value starts one byte on (the last bit: unseen,
	// so kept), K5 = guarded separators before anything else.
	KSHIFTRQ $1, K6, K6
	KORQ     K7, K6, K6
	KANDNQ   K5, K6, K5
	KANDNQ   K2, K5, K2

	// Nor is a guarded bar after a byte that opens no table row: K3 =
	// row starts one byte back (the first bit: unseen, so kept), K1 =
	// guarded bars after anything else.
	KSHIFTLQ $1, K3, K3
	KORQ     K0, K3, K3
	KANDNQ   K1, K3, K1
	KANDNQ   K2, K1, K2
	KMOVQ    K2, (DI)(DX*8)

	ADDQ $64, BX
	INCQ DX
	JMP  block

done:
	VZEROUPPER
	RET

// AVX2HALF classifies the 32 bytes in Y0: R12, R13 and R14 get the masks
// of the bytes without the class, digit and pair flags. Y12 and Y13 get
// the high and low nibbles; the lookups of pass 0 go to Y0, of pass 1 to
// Y13; each flag's bits are selected from both, and compared with zero.
#define AVX2HALF \
	VPSRLW    $4, Y0, Y12   \
	VPAND     Y1, Y12, Y12  \
	VPAND     Y1, Y0, Y13   \
	VPSHUFB   Y13, Y2, Y14  \
	VPSHUFB   Y12, Y3, Y0   \
	VPAND     Y14, Y0, Y0   \
	VPSHUFB   Y13, Y4, Y14  \
	VPSHUFB   Y12, Y5, Y13  \
	VPAND     Y14, Y13, Y13 \
	VPAND     Y6, Y0, Y12   \
	VPAND     Y7, Y13, Y14  \
	VPOR      Y12, Y14, Y12 \
	VPCMPEQB  Y15, Y12, Y12 \
	VPMOVMSKB Y12, R12      \
	VPAND     Y8, Y0, Y12   \
	VPAND     Y9, Y13, Y14  \
	VPOR      Y12, Y14, Y12 \
	VPCMPEQB  Y15, Y12, Y12 \
	VPMOVMSKB Y12, R13      \
	VPAND     Y10, Y0, Y12  \
	VPAND     Y11, Y13, Y14 \
	VPOR      Y12, Y14, Y12 \
	VPCMPEQB  Y15, Y12, Y12 \
	VPMOVMSKB Y12, R14

// func classifyAVX2(t *nibbleTables, src *byte, n int, out *blockMasks)
//
// nibbleTables: lo[2][16] at 0, hi[2][16] at 32, sel[3][2] at 64.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), AX
	MOVQ src+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI

	// Y1: 0x0F in every byte; Y2-Y5: the low and high nibble tables of
	// passes 0 and 1, in both lanes; Y6-Y11: the selectors of class,
	// digit and pair for passes 0 and 1; Y15: zero.
	MOVQ           $0x0F, R8
	MOVQ           R8, X1
	VPBROADCASTB   X1, Y1
	VBROADCASTI128 (AX), Y2
	VBROADCASTI128 32(AX), Y3
	VBROADCASTI128 16(AX), Y4
	VBROADCASTI128 48(AX), Y5
	VPBROADCASTB   64(AX), Y6
	VPBROADCASTB   65(AX), Y7
	VPBROADCASTB   66(AX), Y8
	VPBROADCASTB   67(AX), Y9
	VPBROADCASTB   68(AX), Y10
	VPBROADCASTB   69(AX), Y11
	VPXOR          Y15, Y15, Y15
	XORQ           DX, DX

avx2block:
	CMPQ DX, CX
	JGE  avx2done

	// Low half: 32 bytes to the low 32 bits of each mask (R9, R10, R11),
	// set where a byte has no flag (the compare with zero), inverted below.
	VMOVDQU (BX), Y0
	AVX2HALF
	MOVQ    R12, R9
	MOVQ    R13, R10
	MOVQ    R14, R11
	VMOVDQU 32(BX), Y0
	AVX2HALF
	SHLQ    $32, R12
	SHLQ    $32, R13
	SHLQ    $32, R14
	ORQ     R12, R9
	ORQ     R13, R10
	ORQ     R14, R11
	NOTQ    R9
	NOTQ    R10
	NOTQ    R11
	MOVQ    R9, (DI)(DX*8)
	MOVQ    R10, 64(DI)(DX*8)
	MOVQ    R11, 128(DI)(DX*8)

	ADDQ $64, BX
	INCQ DX
	JMP  avx2block

avx2done:
	VZEROUPPER
	RET
