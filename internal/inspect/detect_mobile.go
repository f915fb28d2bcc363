package inspect

// Mainland mobile numbers.
//
// Accepted: 11 digits in an allocated segment (130-139, 145, 147, 150-153,
// 155-159, 162, 165-167, 170-178, 180-189, 190-193, 195-199), bare or grouped
// 3-4-4 by spaces or hyphens, with an optional +86, 0086 or 86 prefix.
// Rejected: data-only and unallocated segments (140-144, 146, 148, 149, 154,
// 160, 161, 163, 164, 168, 169, 179, 194), and any 11 digits that are part of
// a longer run of digits.

// mobileSegments marks allocated segments, indexed by the second and third digit.
var mobileSegments = func() (t [10][10]bool) {
	for _, r := range [][3]int{
		{3, 0, 9}, {4, 5, 5}, {4, 7, 7}, {5, 0, 3}, {5, 5, 9}, {6, 2, 2}, {6, 5, 7},
		{7, 0, 8}, {8, 0, 9}, {9, 0, 3}, {9, 5, 9},
	} {
		for c := r[1]; c <= r[2]; c++ {
			t[r[0]][c] = true
		}
	}
	return t
}()

// validMobile reports whether d is 11 digits in an allocated segment.
func validMobile(d []byte) bool {
	return len(d) == 11 && d[0] == '1' && d[1] != 'X' && d[2] != 'X' && d[10] != 'X' &&
		mobileSegments[d[1]-'0'][d[2]-'0']
}

// maskMobile renders 138****5678.
func maskMobile(d []byte, out []byte) int {
	n := copy(out, d[:3])
	n += copy(out[n:], "****")
	return n + copy(out[n:], d[7:])
}
