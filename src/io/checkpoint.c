/* checkpoint.c - official HRM checkpoints (torch.save state dict +
 * all_config.yaml) to and from struct hrm_model, checked against the tensor
 * table: every name, rank and shape, nothing missing, nothing extra. */
#include "model/hrm.h"
#include "io/checkpoint.h"
#include "core/half.h"
#include "io/torchzip.h"
#include "io/torchzip_write.h"
#include "core/fmap.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const key_prefixes[] = { "_orig_mod.model.inner.", "model.inner.", "_orig_mod.", "" };

static const char *strip_prefix(const char *key)
{
	for (size_t i = 0; i < sizeof key_prefixes / sizeof key_prefixes[0]; i++) {
		size_t n = strlen(key_prefixes[i]);
		if (strncmp(key, key_prefixes[i], n) == 0)
			return key + n;
	}
	return key;
}

static const struct tz_tensor *find_stripped(const struct tz_archive *a, const char *name)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(strip_prefix(a->tensors[i].name), name) == 0)
			return &a->tensors[i];
	return NULL;
}

/* In a directory: `checkpoint`, else the official trainer's newest `step_N`. */
static char *checkpoint_in_dir(const char *dir)
{
	char *p = xmalloc(strlen(dir) + 300);
	sprintf(p, "%s/checkpoint", dir);
	if (path_exists(p))
		return p;
	DIR *d = opendir(dir);
	long best = -1;
	if (d != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			char *end;
			if (strncmp(de->d_name, "step_", 5) != 0)
				continue;
			long n = strtol(de->d_name + 5, &end, 10);
			if (*end == '\0' && n > best)
				best = n;
		}
		closedir(d);
	}
	if (best >= 0)
		sprintf(p, "%s/step_%ld", dir, best);
	return p;
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	size_t n = (size_t)(slash - path);
	char *d = xmalloc(n + 2);
	memcpy(d, path, n ? n : 1);
	d[n ? n : 1] = '\0';
	return d;
}

static int64_t dim(const struct tz_tensor *t, int i)
{
	return i < t->ndim ? t->shape[i] : 0;
}

/* Sizes the config cannot hold (V, N, seq_len) come from the tensors; the
 * ones it does hold are cross-checked against them. */
static int infer_from_tensors(struct hrm_config *c, const struct tz_archive *a, const char *ck,
			      const char *cfgpath, char **cause)
{
	const struct tz_tensor *t = find_stripped(a, "embed_tokens.embedding_weight");
	if (t == NULL)
		return set_cause(cause, "%s: missing tensor 'embed_tokens.embedding_weight'", ck);
	if (t->ndim != 2)
		return set_cause(cause, "%s: embed_tokens.embedding_weight has %d dimensions, expected 2", ck, t->ndim);
	if (dim(t, 1) != c->hidden_size)
		return set_cause(cause, "%s: tensors have hidden size %lld but %s says hidden_size %d",
				 ck, (long long)dim(t, 1), cfgpath, c->hidden_size);
	if (dim(t, 0) < 1 || dim(t, 0) > 65536)
		return set_cause(cause, "%s: vocabulary size %lld out of range", ck, (long long)dim(t, 0));
	c->vocab_size = (int)dim(t, 0);

	t = find_stripped(a, "puzzle_emb.weights");
	if (c->puzzle_emb_ndim > 0) {
		if (t == NULL)
			return set_cause(cause, "%s: missing tensor 'puzzle_emb.weights' (%s says puzzle_emb_ndim %d)",
					 ck, cfgpath, c->puzzle_emb_ndim);
		if (t->ndim != 2 || dim(t, 1) != c->puzzle_emb_ndim)
			return set_cause(cause, "%s: puzzle_emb.weights has width %lld but %s says puzzle_emb_ndim %d",
					 ck, (long long)dim(t, t->ndim - 1), cfgpath, c->puzzle_emb_ndim);
		if (dim(t, 0) < 1 || dim(t, 0) > (1 << 24))
			return set_cause(cause, "%s: %lld puzzle identifiers out of range", ck, (long long)dim(t, 0));
		c->num_puzzle_identifiers = (int)dim(t, 0);
	} else if (t != NULL) {
		return set_cause(cause, "%s: has puzzle_emb.weights but %s says puzzle_emb_ndim 0", ck, cfgpath);
	}

	t = find_stripped(a, "embed_pos.embedding_weight");
	if (c->pos_encodings == HRM_POS_LEARNED) {
		if (t == NULL)
			return set_cause(cause, "%s: missing tensor 'embed_pos.embedding_weight' (learned positions)", ck);
		int Lp = c->puzzle_emb_len;
		if (t->ndim != 2 || dim(t, 0) <= Lp || dim(t, 0) > (1 << 20))
			return set_cause(cause, "%s: embed_pos.embedding_weight has a bad shape", ck);
		c->seq_len = (int)dim(t, 0) - Lp;
	} else if (t != NULL) {
		return set_cause(cause, "%s: has embed_pos.embedding_weight but %s says pos_encodings %s", ck, cfgpath,
				 hrm_pos_name(c->pos_encodings));
	}
	/* TRM's mlp_t blocks mix the T positions: the first one's down
	 * projection [T, inter_t] says T (the later exact check covers the rest) */
	t = find_stripped(a, "L_level.layers.0.mlp_t.down_proj.weight");
	if (c->mlp_t) {
		if (t == NULL)
			return set_cause(cause, "%s: missing tensor 'L_level.layers.0.mlp_t.down_proj.weight' (%s says mlp_t)",
					 ck, cfgpath);
		int64_t T = dim(t, 0);
		if (t->ndim != 2 || T <= c->puzzle_emb_len || T > HRM_MLP_T_MAX_T)
			return set_cause(cause, "%s: L_level.layers.0.mlp_t.down_proj.weight has a bad shape", ck);
		if (c->seq_len != 0 && T - c->puzzle_emb_len != c->seq_len)
			return set_cause(cause, "%s: mlp_t mixes %lld positions, the learned positions are %d + %d", ck,
					 (long long)T, c->seq_len, c->puzzle_emb_len);
		c->seq_len = (int)(T - c->puzzle_emb_len);
	}
	return 0;
}

/* The largest each tensor of the architecture may be, known before the
 * file's tensors are read: the sizes the file decides (V, N, seq_len) at
 * the most their ranges above allow.  Exact shapes are checked once the
 * sizes are known (infer_from_tensors, copy_tensors). */
struct expect {
	struct hrm_tensor_info *ti;
	size_t n;
};

static int64_t free_rows(const char *name, const struct hrm_config *c)
{
	if (!strcmp(name, "embed_tokens.embedding_weight") || !strcmp(name, "lm_head.weight"))
		return 65536;
	if (!strcmp(name, "puzzle_emb.weights"))
		return 1 << 24;
	if (!strcmp(name, "embed_pos.embedding_weight"))
		return (1 << 20) + c->puzzle_emb_len;
	return 0;
}

static int expect_check(void *user, const char *key, enum tz_dtype dtype, int ndim, const int64_t *shape,
			int64_t numel, char **cause)
{
	(void)dtype; /* a non-float dtype is refused with its name once read */
	(void)shape;
	const struct expect *e = user;
	const char *name = strip_prefix(key);
	for (size_t i = 0; i < e->n; i++) {
		const struct hrm_tensor_info *t = &e->ti[i];
		if (strcmp(t->name, name) != 0)
			continue;
		int64_t most = 1;
		for (int k = 0; k < t->ndim; k++)
			most *= t->shape[k];
		if (ndim > 2 || numel > most)
			return set_cause(cause, "tensor '%s' holds %lld values, more than the %lld its architecture allows",
					 name, (long long)numel, (long long)most);
		return 0;
	}
	return set_cause(cause, "unexpected tensor '%s' (not part of this architecture)", key);
}

/* The puzzle-embedding table is the one tensor left unread at load: its rows
 * are read as puzzles need them. */
static int expect_lazy(void *user, const char *key)
{
	(void)user;
	return strcmp(strip_prefix(key), "puzzle_emb.weights") == 0;
}

/* The table of the architecture in c, with the sizes the file decides at
 * their largest; -1 with *cause (naming cfgpath) if the config is invalid. */
static int expect_init(struct expect *e, const struct hrm_config *cfg, const char *cfgpath, char **cause)
{
	struct hrm_model shape;
	memset(&shape, 0, sizeof shape);
	shape.cfg = *cfg;
	shape.cfg.vocab_size = shape.cfg.seq_len = shape.cfg.num_puzzle_identifiers = 0;
	if (hrm_config_derive(&shape.cfg, cause) != 0)
		return prefix_cause(cause, "%s", cfgpath);
	/* mlp_t tensors at their largest: as many positions as allowed */
	if (shape.cfg.mlp_t) {
		shape.cfg.seq_len = HRM_MLP_T_MAX_T - shape.cfg.puzzle_emb_len;
		if (hrm_config_derive(&shape.cfg, cause) != 0)
			return prefix_cause(cause, "%s", cfgpath);
	}
	e->n = hrm_tensor_list(&shape, NULL, 0);
	e->ti = xcalloc(e->n, sizeof *e->ti);
	hrm_tensor_list(&shape, e->ti, e->n);
	for (size_t i = 0; i < e->n; i++) {
		int64_t rows = free_rows(e->ti[i].name, &shape.cfg);
		if (rows > 0)
			e->ti[i].shape[0] = rows;
	}
	return 0;
}

static int copy_tensors(struct hrm_model *m, const struct tz_archive *a, const char *ck, char **cause)
{
	size_t n = hrm_tensor_list(m, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(m, ti, n);
	int rc = -1;
	size_t bad_values = 0;
	const char *bad_name = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct tz_tensor *t = find_stripped(a, ti[i].name);
		if (t == NULL) {
			set_cause(cause, "%s: missing tensor '%s'", ck, ti[i].name);
			goto out;
		}
		bool ok = t->ndim == ti[i].ndim;
		for (int k = 0; ok && k < ti[i].ndim; k++)
			ok = t->shape[k] == ti[i].shape[k];
		if (!ok) {
			char got[96] = "", want[64];
			for (int k = 0; k < t->ndim && k < TZ_MAX_DIMS; k++) {
				size_t l = strlen(got);
				snprintf(got + l, sizeof got - l, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
			}
			if (ti[i].ndim == 1)
				snprintf(want, sizeof want, "%lld", (long long)ti[i].shape[0]);
			else
				snprintf(want, sizeof want, "%lld, %lld", (long long)ti[i].shape[0], (long long)ti[i].shape[1]);
			set_cause(cause, "%s: tensor '%s' has shape [%s], the config needs [%s]", ck, ti[i].name, got, want);
			goto out;
		}
		if (t->dtype != TZ_F32 && t->dtype != TZ_BF16 && t->dtype != TZ_F16 && t->dtype != TZ_F64) {
			set_cause(cause, "%s: tensor '%s' has dtype %s, expected a floating type", ck, ti[i].name,
				  tz_dtype_name(t->dtype));
			goto out;
		}
		float *dst = *ti[i].field;
		if ((const void *)dst == t->data)
			continue; /* left in the mapped file (hrm_model_from_archive) */
		if (tz_verify(a, (struct tz_tensor *)t, cause) != 0)
			goto out;
		tz_to_f32(t, dst);
		/* copied: its pages in the mapping need not stay resident
		 * beside the copy (the peak of a load was twice the model) */
		if (t->borrowed && a->map != NULL)
			fmap_drop(a->map, t->data, (size_t)t->numel * tz_dtype_size(t->dtype));
		for (int64_t k = 0; k < t->numel; k++)
			if (!isfinite(dst[k])) {
				bad_values++;
				if (bad_name == NULL)
					bad_name = ti[i].name;
			}
	}
	/* everything in the file must be accounted for */
	for (size_t j = 0; j < a->count; j++) {
		const char *k = strip_prefix(a->tensors[j].name);
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(ti[i].name, k) == 0;
		if (!known) {
			set_cause(cause, "%s: unexpected tensor '%s' (not part of this architecture)", ck,
				  a->tensors[j].name);
			goto out;
		}
	}
	if (bad_values > 0)
		snprintf(m->warning, sizeof m->warning, "%s: warning: %zu NaN/Inf weight values (first in '%s')",
			 ck, bad_values, bad_name);
	rc = 0;
out:
	free(ti);
	return rc;
}

int hrm_model_from_archive(struct hrm_model *m, const struct hrm_config *cfg, const struct tz_archive *a,
			   const char *ck, const char *cfgpath, char **cause)
{
	struct hrm_config c = *cfg;
	memset(m, 0, sizeof *m);
	if (infer_from_tensors(&c, a, ck, cfgpath, cause) != 0)
		return -1;
	/* The puzzle-embedding table (2 GB for ARC) stays in the mapped file
	 * when it can be used as it is there: float32, aligned, in place. */
	const struct tz_tensor *pt = find_stripped(a, "puzzle_emb.weights");
	float *ext = NULL;
	if (pt != NULL && pt->borrowed && a->map != NULL && pt->dtype == TZ_F32 && pt->ndim == 2 &&
	    pt->shape[0] == c.num_puzzle_identifiers && pt->shape[1] == c.puzzle_emb_ndim &&
	    (uintptr_t)pt->data % sizeof(float) == 0)
		ext = pt->data;
	if (hrm_model_alloc_ext(m, &c, ext, cause) != 0)
		return prefix_cause(cause, "%s", cfgpath);
	if (ext != NULL) {
		m->map = fmap_ref(a->map);
		m->puzzle_crc = pt->crc;
		m->puzzle_crc_pending = pt->crc_pending;
	}
	if (copy_tensors(m, a, ck, cause) != 0) {
		hrm_model_free(m);
		memset(m, 0, sizeof *m);
		return -1;
	}
	return 0;
}

/* The checkpoint ck (a file, or len bytes at buf) read against the
 * architecture of cfg (expect_check) and turned into a model. */
static int load_checked(struct hrm_model *m, const struct hrm_config *cfg, const char *ck, const void *buf,
			size_t len, const char *cfgpath, char **cause)
{
	struct expect e = {0};
	if (expect_init(&e, cfg, cfgpath, cause) != 0)
		return -1;
	struct tz_expect te = {.max_tensors = e.n, .check = expect_check, .lazy = expect_lazy, .user = &e};
	struct tz_archive a = {0};
	int rc = buf ? tz_load_mem_expect(buf, len, ck, &te, &a, cause) : tz_load_expect(ck, &te, &a, cause);
	free(e.ti);
	if (rc == 0)
		rc = hrm_model_from_archive(m, cfg, &a, ck, cfgpath, cause);
	tz_free(&a);
	return rc;
}

int hrm_model_load_mem(struct hrm_model *m, const struct hrm_config *cfg, const void *buf, size_t len,
		       const char *name, const char *cfgpath, char **cause)
{
	memset(m, 0, sizeof *m);
	return load_checked(m, cfg, name, buf, len, cfgpath, cause);
}

int hrm_model_load(struct hrm_model *m, const char *path, char **cause)
{
	char *ck, *cfgpath, *dir;
	if (path_is_dir(path)) {
		ck = checkpoint_in_dir(path);
		dir = xstrdup(path);
	} else {
		ck = xstrdup(path);
		dir = dirname_of(path);
	}
	cfgpath = xmalloc(strlen(dir) + 32);
	sprintf(cfgpath, "%s/all_config.yaml", dir);
	struct hrm_config c;
	int rc = -1;
	memset(m, 0, sizeof *m);
	hrm_config_default(&c);
	if (!path_exists(path)) {
		set_cause(cause, "%s: no such checkpoint file or folder", path);
		goto out;
	}
	if (!path_exists(cfgpath)) {
		set_cause(cause, "%s: no all_config.yaml beside the checkpoint (the architecture is stored there)", dir);
		goto out;
	}
	if (hrm_config_load_yaml(cfgpath, &c, cause) != 0)
		goto out;
	if (load_checked(m, &c, ck, NULL, 0, cfgpath, cause) != 0)
		goto out;
	const char *base = strrchr(dir, '/');
	snprintf(m->name, sizeof m->name, "%s", base && base[1] ? base + 1 : dir);
	rc = 0;
out:
	free(ck);
	free(cfgpath);
	free(dir);
	return rc;
}

/* The pair is written so that a kill between two writes never leaves a
 * checkpoint beside a config that is not its own: all_config.yaml first,
 * then checkpoint; and when the config changes (another model replaces the
 * one there), the old checkpoint is removed before the new config comes.
 * A folder with all_config.yaml alone is not a model (the loader says "no
 * checkpoint").  A training run's repeated saves write the same config, so
 * its last checkpoint stays in place until the next one replaces it. */
static int save_pair(const char *ck, const char *cfgpath, const struct tz_archive *a, const bool *from_f32,
		     const struct hrm_config *cfg, char **cause)
{
	char text[HRM_CONFIG_YAML_MAX], *old = NULL;
	size_t oldlen = 0;
	int n = hrm_config_yaml(cfg, text, cfgpath, cause);
	if (n < 0)
		return -1;
	bool same = path_is_file(cfgpath) && read_file_all(cfgpath, HRM_CONFIG_YAML_MAX, &old, &oldlen, NULL) == 0 &&
		    oldlen == (size_t)n && memcmp(old, text, oldlen) == 0;
	free(old);
	if (!same) {
		if (unlink(ck) != 0 && errno != ENOENT)
			return set_cause(cause, "%s: cannot remove the old checkpoint: %s", ck, strerror(errno));
		if (write_file_atomic(cfgpath, text, (size_t)n, cause) != 0)
			return -1;
	}
	struct tz_save_opts o = {.from_f32 = from_f32, .force_zip64 = getenv("HRMSCOPE_FORCE_ZIP64") != NULL};
	return tz_save_opts(ck, a, &o, cause);
}

int hrm_model_save(const struct hrm_model *m, const char *dir, char **cause)
{
	if (!path_is_dir(dir) && mkdir(dir, 0755) != 0)
		return set_cause(cause, "%s: cannot create directory: %s", dir, strerror(errno));
	struct hrm_model *mm = (struct hrm_model *)m; /* the list only hands out pointers we read */
	size_t n = hrm_tensor_list(mm, NULL, 0);
	struct hrm_tensor_info *ti = xcalloc(n, sizeof *ti);
	hrm_tensor_list(mm, ti, n);
	/* the tensors are written from the model's own memory: nothing is
	 * copied (bfloat16 ones are converted a block at a time as written) */
	struct tz_archive a = { .tensors = xcalloc(n, sizeof(struct tz_tensor)), .count = n };
	bool *from_f32 = xcalloc(n, sizeof *from_f32);
	for (size_t i = 0; i < n; i++) {
		struct tz_tensor *t = &a.tensors[i];
		size_t numel = (size_t)ti[i].shape[0] * (ti[i].ndim == 2 ? (size_t)ti[i].shape[1] : 1);
		t->name = xmalloc(strlen(ti[i].name) + 32);
		sprintf(t->name, "_orig_mod.model.inner.%s", ti[i].name);
		t->ndim = ti[i].ndim;
		t->shape[0] = ti[i].shape[0];
		t->shape[1] = ti[i].shape[1];
		t->numel = (int64_t)numel;
		t->data = *ti[i].field;
		t->borrowed = true;
		t->dtype = ti[i].bf16 ? TZ_BF16 : TZ_F32;
		from_f32[i] = ti[i].bf16;
	}
	free(ti);
	char *ck = xmalloc(strlen(dir) + 32), *cfgpath = xmalloc(strlen(dir) + 32);
	sprintf(ck, "%s/checkpoint", dir);
	sprintf(cfgpath, "%s/all_config.yaml", dir);
	int rc = save_pair(ck, cfgpath, &a, from_f32, &m->cfg, cause);
	tz_free(&a);
	free(from_f32);
	free(ck);
	free(cfgpath);
	return rc;
}
