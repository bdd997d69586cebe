/* pickle_read.h - internal to torchzip: a tiny pickle reader that builds a
 * data model of what a torch.save'd dict of tensors may contain (pickle_read.c)
 * and flattens its dicts into named tensors (pickle_tensors.c).  Nothing here
 * ever calls or imports anything: REDUCE is evaluated only for a fixed
 * whitelist of callables. */
#ifndef HRM_IO_PICKLE_READ_H
#define HRM_IO_PICKLE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "io/torchzip.h"

/* Hard limits against malicious pickles ("bombs"); every one of them is far
 * above what a checkpoint with a few thousand tensors needs. */
#define PK_MAX_STACK    (1u << 20)  /* values on the VM stack */
#define PK_MAX_MARKS    256         /* MARKs open at once */
#define PK_MAX_MEMO     (1u << 20)  /* highest memo index + 1 */
#define PK_MAX_OBJECTS  (1u << 18)  /* values created (a pool may set fewer) */
#define PK_MAX_STRING   (1u << 20)  /* bytes in one string */
#define PK_MAX_NEST     64          /* containers inside containers */
#define PK_MAX_GLOBAL   256         /* bytes of a GLOBAL's module or name */
#define PK_MAX_KEY      64          /* bytes of a storage key (torch: "0", "1", ...) */

enum pk_kind {
	PK_NONE, PK_BOOL, PK_INT, PK_FLOAT, PK_STR, PK_BYTES,
	PK_TUPLE, PK_LIST, PK_DICT,
	PK_GLOBAL,      /* one of the whitelisted names, see enum pk_global */
	PK_STORAGE,     /* result of BINPERSID ('storage', type, key, loc, numel) */
	PK_TENSOR       /* result of _rebuild_tensor_v2 / _rebuild_parameter */
};

enum pk_global {
	PK_G_ORDEREDDICT,
	PK_G_REBUILD_TENSOR_V2,
	PK_G_REBUILD_PARAMETER,
	PK_G_REBUILD_PARAMETER_WITH_STATE,
	PK_G_STORAGE            /* torch.<Type>Storage; dtype in u.global.dtype */
};

struct pk_obj {
	enum pk_kind kind;
	int depth;              /* nesting depth (0 for scalars), a lower bound */
	union {
		int64_t i;          /* PK_BOOL, PK_INT */
		double f;
		struct {            /* PK_STR, PK_BYTES: always NUL-terminated */
			char *s;
			size_t len;
		} str;
		struct {            /* PK_TUPLE, PK_LIST */
			struct pk_obj **items;
			size_t n, cap;
		} seq;
		struct {            /* PK_DICT; keys kept in insertion order */
			struct pk_obj **keys, **vals;
			size_t n, cap;
		} dict;
		struct {
			enum pk_global which;
			enum tz_dtype dtype;
		} global;
		struct {
			enum tz_dtype dtype;
			char *key;      /* validated: no '/', '\\', "..", NUL; <= PK_MAX_KEY */
			int64_t numel;
			size_t slot;    /* free for the caller (torchzip.c) */
		} storage;
		struct {
			struct pk_obj *storage;
			int64_t offset;
			int ndim;
			int64_t size[TZ_MAX_DIMS], stride[TZ_MAX_DIMS];
		} tensor;
	} u;
};

/* Every object of one parse, freed together (the graph may share objects
 * through the memo and may even contain cycles). */
struct pk_pool {
	struct pk_obj **objs;
	size_t n, cap;
	size_t max_objects;     /* set by the caller before pk_parse: 0 = PK_MAX_OBJECTS */
};

/* Runs the pickle in buf; *result points into pool.  Messages do not name the
 * file: the caller prefixes it. */
int pk_parse(const uint8_t *buf, size_t len, struct pk_pool *pool,
             struct pk_obj **result, char **cause);
void pk_pool_free(struct pk_pool *pool);

/* A tensor found in the parsed dict, with its '.'-joined name. */
struct pk_named {
	char *name;
	struct pk_obj *tensor;
};

/* Flattens the top-level dict (and nested dicts) into tensors, in insertion
 * order; a key seen twice keeps its first position and its last value, as a
 * Python dict would.  Values that are not tensors or dicts are skipped. */
int pk_collect_tensors(struct pk_obj *top, struct pk_named **out, size_t *count, char **cause);
void pk_named_free(struct pk_named *v, size_t count);

#endif
