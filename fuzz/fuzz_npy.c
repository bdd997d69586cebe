/* fuzz_npy.c - .npy files (npy.c): header dict, shapes, dtypes, Fortran order. */
#include "fuzz.h"
#include "io/npy.h"

#include <stdlib.h>
#include <string.h>

static volatile uint8_t sink; /* keeps the reads of every byte */

FUZZ_TARGET(npy)
{
	struct npy_array a;
	char *cause = NULL;
	if (npy_read_mem(data, size, "fuzz.npy", &a, &cause) == 0) {
		/* every byte the header promised is there */
		size_t bytes = (size_t)a.numel * (size_t)a.itemsize;
		for (size_t i = 0; i < bytes; i++)
			sink ^= ((const uint8_t *)a.data)[i];
		int32_t *v = NULL;
		if (npy_to_int32(&a, "fuzz.npy", &v, &cause) == 0)
			free(v);
		/* what was read encodes and reads back the same */
		void *buf = NULL;
		size_t len = 0;
		if (npy_encode(&a, &buf, &len, &cause) == 0) {
			struct npy_array b;
			if (npy_read_mem(buf, len, "re.npy", &b, &cause) != 0 || b.numel != a.numel ||
			    b.dtype != a.dtype || memcmp(a.data, b.data, bytes) != 0)
				abort();
			npy_free(&b);
			free(buf);
		}
		npy_free(&a);
	}
	free(cause);
	return 0;
}
