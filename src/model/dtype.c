/* dtype.c - the names of the arithmetic a model runs in. */
#include "model/hrm.h"

#include <string.h>

const char *hrm_dtype_name(enum hrm_dtype dt)
{
	return dt == HRM_DTYPE_BF16 ? "bf16" : "fp32";
}

int hrm_dtype_parse(const char *s, enum hrm_dtype *out)
{
	if (strcmp(s, "fp32") == 0 || strcmp(s, "float32") == 0) {
		*out = HRM_DTYPE_FP32;
		return 0;
	}
	if (strcmp(s, "bf16") == 0 || strcmp(s, "bfloat16") == 0) {
		*out = HRM_DTYPE_BF16;
		return 0;
	}
	return -1;
}
