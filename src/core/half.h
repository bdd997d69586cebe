/* half.h - 16-bit floats: bfloat16 and IEEE half precision (binary16).
 * Conversions to float32 are exact; from float32 they round to nearest,
 * ties to even, as torch does.  NaNs stay NaN (quiet), overflow gives inf. */
#ifndef HRM_CORE_HALF_H
#define HRM_CORE_HALF_H

#include <stdint.h>
#include <string.h>

float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

/* f rounded to the nearest bfloat16 (ties to even), as a float32: inline
 * and branch-light for the bf16 forward's elementwise loops.  The same
 * value as bf16_to_f32(f32_to_bf16(f)). */
static inline float bf16_round(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		u = (u | 0x00400000u) & 0xffff0000u;
	else
		u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
	memcpy(&f, &u, sizeof f);
	return f;
}

#endif
