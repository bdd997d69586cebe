/* half.c - bfloat16 and IEEE half precision to and from float32, rounding
 * to nearest even as torch does.  The checkpoints store bfloat16 buffers and
 * may store float16 weights; the official arithmetic rounds to bfloat16. */
#include "core/half.h"

#include <string.h>

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

float bf16_to_f32(uint16_t h)
{
	return bits_f32((uint32_t)h << 16);
}

uint16_t f32_to_bf16(float f)
{
	uint32_t u = f32_bits(f);
	/* Rounding could carry a NaN's payload into the exponent and make it
	 * infinite, so NaNs are truncated and kept quiet. */
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x0040u);
	u += 0x7fffu + ((u >> 16) & 1u);    /* round to nearest, ties to even */
	return (uint16_t)(u >> 16);
}

float f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
	if (e == 0x1f)
		return bits_f32(sign | 0x7f800000u | m << 13);
	if (e == 0) {
		if (m == 0)
			return bits_f32(sign);
		/* subnormal: shift the leading 1 up to the implicit bit; each
		 * shift lowers the f32 exponent (113 is that of 2^-14) */
		e = 113;
		while (!(m & 0x400u)) {
			m <<= 1;
			e--;
		}
		return bits_f32(sign | e << 23 | (m & 0x3ffu) << 13);
	}
	return bits_f32(sign | (e + 112u) << 23 | m << 13);
}

uint16_t f32_to_f16(float f)
{
	uint32_t u = f32_bits(f);
	uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
	uint32_t a = u & 0x7fffffffu;
	if (a > 0x7f800000u)                /* NaN: keep it quiet and non-zero */
		return sign | 0x7e00u | (uint16_t)((a >> 13) & 0x3ffu);
	if (a >= 0x477ff000u)               /* >= 65520 rounds to infinity */
		return sign | 0x7c00u;
	if (a >= 0x38800000u) {             /* normal half: >= 2^-14 */
		a -= 112u << 23;                /* rebias the exponent 127 -> 15 */
		a += 0xfffu + ((a >> 13) & 1u);
		return sign | (uint16_t)(a >> 13);
	}
	if (a <= 0x33000000u)               /* <= 2^-25: ties to even give 0 */
		return sign;
	/* subnormal half: count units of 2^-24, rounding to nearest even */
	uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
	uint32_t shift = 126u - e;          /* 14..24 */
	uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
	if (rem > half || (rem == half && (q & 1u)))
		q++;
	return sign | (uint16_t)q;
}
