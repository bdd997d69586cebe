/* half.h - 16-bit floats: bfloat16 and IEEE half precision (binary16).
 * Conversions to float32 are exact; from float32 they round to nearest,
 * ties to even, as torch does.  NaNs stay NaN (quiet), overflow gives inf. */
#ifndef HRM_CORE_HALF_H
#define HRM_CORE_HALF_H

#include <stdint.h>

float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

#endif
