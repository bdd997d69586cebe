/* hrm_config_read.c - reading the YAML files of the HRM config: the
 * all_config.yaml the official trainer writes and the files under
 * config/arch/.
 *
 * Files are parsed with libyaml's loader; nothing in them is ever
 * executed or constructed from tags.  Numbers are parsed in the "C" numeric
 * locale, because the curses UI sets the user's locale and a decimal comma
 * would otherwise corrupt every float. */
#include "model/hrm.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_FILE_BYTES (1u << 20) /* configs are a few hundred bytes */
#define MAX_INTERP_DEPTH 16       /* catches ${a} -> ${b} -> ${a} loops */
#define MAX_FLOW_DEPTH 64         /* see flow_depth_ok() */

/* ---- reading the YAML document ----
 * libyaml's loader builds the node graph; nodes are referred to by index
 * (1-based, 0 = none).  We add a parent table, which relative
 * interpolations need and which also shows every alias: an aliased node has
 * two parents. */

struct loader {
	const char *file;
	yaml_document_t doc;
	int *parent;        /* parent[i]: index of the node holding node i */
	int root;
	bool bare;          /* the file is the arch mapping itself */
	char **cause;
};

static yaml_node_t *node(struct loader *l, int i)
{
	return yaml_document_get_node(&l->doc, i);
}

static int fail(struct loader *l, int at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct loader *l, int at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return set_cause(l->cause, "%s:%zu: %s", l->file, node(l, at)->start_mark.line + 1, msg);
}

/* A short, single-line, quoted rendering of a text for error messages. */
static const char *excerpt_text(const char *s, size_t len, char *buf, size_t size)
{
	size_t i = 0, j = 0;
	buf[j++] = '\'';
	for (; i < len && j + 6 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[j++] = ch >= 0x20 && ch != 0x7f ? (char)ch : '?';
	}
	if (i < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j++] = '\'';
	buf[j] = '\0';
	return buf;
}

static const char *excerpt(struct loader *l, int i, char *buf, size_t size)
{
	yaml_node_t *n = node(l, i);
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return excerpt_text((const char *)n->data.scalar.value, n->data.scalar.length, buf, size);
}

/* Untagged nodes and the YAML core schema's own tags are plain data; any
 * other tag (!!python/object...) asks for something we will not construct. */
static bool tag_ok(const yaml_char_t *tag)
{
	static const char *const allowed[] = { "str", "int", "float", "bool", "null", "map", "seq" };
	static const char prefix[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;
	if (t == NULL)
		return true;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strncmp(t, prefix, sizeof prefix - 1) == 0 &&
		    strcmp(t + sizeof prefix - 1, allowed[i]) == 0)
			return true;
	return false;
}

static int set_parent(struct loader *l, int kid, int parent)
{
	if (kid == l->root || l->parent[kid] != 0)
		return fail(l, kid, "YAML aliases are not supported");
	l->parent[kid] = parent;
	return 0;
}

/* Checks tags, builds the parent table and refuses aliases and keys that
 * are not scalars.  A flat pass over the nodes: no recursion, however deep
 * the nesting. */
static int check_nodes(struct loader *l)
{
	int count = (int)(l->doc.nodes.top - l->doc.nodes.start);
	l->parent = xcalloc((size_t)count + 1, sizeof *l->parent);
	for (int i = 1; i <= count; i++) {
		yaml_node_t *n = node(l, i);
		if (!tag_ok(n->tag))
			return fail(l, i, "YAML tag '%.60s' is not allowed", (const char *)n->tag);
		if (n->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top; it++)
				if (set_parent(l, *it, i) != 0)
					return -1;
		} else if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++) {
				if (node(l, p->key)->type != YAML_SCALAR_NODE)
					return fail(l, p->key, "mapping keys must be scalars");
				if (set_parent(l, p->key, i) != 0 || set_parent(l, p->value, i) != 0)
					return -1;
			}
		}
	}
	return 0;
}

static int parse_error(struct loader *l, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	if (p->error == YAML_MEMORY_ERROR)
		return set_cause(l->cause, "%s: out of memory while parsing", l->file);
	if (p->error == YAML_READER_ERROR)
		return set_cause(l->cause, "%s: not a YAML text: %s (byte %zu)", l->file,
				 problem, p->problem_offset);
	return set_cause(l->cause, "%s:%zu: YAML syntax error: %s%s%s%s", l->file,
			 p->problem_mark.line + 1, problem, p->context ? " (" : "",
			 p->context ? p->context : "", p->context ? ")" : "");
}

/* libyaml's scanner does work proportional to the bracket nesting depth
 * for every token, so a 1 MiB file of '[' would keep it busy for minutes.
 * Configs nest a few levels; the count may include brackets inside strings
 * or comments ("${x}" is balanced), which only matters for absurd files. */
static bool flow_depth_ok(const char *data, size_t len)
{
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		if ((data[i] == '[' || data[i] == '{') && ++depth > MAX_FLOW_DEPTH)
			return false;
		if ((data[i] == ']' || data[i] == '}') && depth > 0)
			depth--;
	}
	return true;
}

/* Parses a file holding exactly one YAML document into l->doc. */
static int read_document(struct loader *l, const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	int rc = -1;
	if (!flow_depth_ok(data, len))
		return set_cause(l->cause, "%s: brackets nested too deeply", l->file);
	if (!yaml_parser_initialize(&parser))
		return set_cause(l->cause, "%s: cannot initialize the YAML parser", l->file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &l->doc)) {
		parse_error(l, &parser);
		yaml_parser_delete(&parser);
		/* libyaml has freed it; leave it safe to delete again */
		memset(&l->doc, 0, sizeof l->doc);
		return -1;
	}
	/* From here on l->doc is valid and the caller deletes it. */
	if (yaml_document_get_root_node(&l->doc) == NULL) {
		set_cause(l->cause, "%s: empty file (expected a YAML mapping)", l->file);
	} else if (!yaml_parser_load(&parser, &extra)) {
		parse_error(l, &parser);
	} else {
		if (yaml_document_get_root_node(&extra) != NULL)
			set_cause(l->cause, "%s:%zu: more than one YAML document", l->file,
				  extra.start_mark.line + 1);
		else
			rc = 0;
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&parser);
	l->root = 1;
	return rc == 0 ? check_nodes(l) : -1;
}

/* ---- reading values ---- */

static bool key_is(struct loader *l, int k, const char *key, size_t keylen)
{
	yaml_node_t *n = node(l, k);
	return n->data.scalar.length == keylen && memcmp(n->data.scalar.value, key, keylen) == 0;
}

static const char *key_text(struct loader *l, int k)
{
	return (const char *)node(l, k)->data.scalar.value;
}

/* Follows a dotted key path ("a.b.c") from base; 0 if any step is missing. */
static int walk(struct loader *l, int base, const char *path)
{
	while (base != 0 && *path != '\0') {
		size_t n = strcspn(path, ".");
		yaml_node_t *m = node(l, base);
		base = 0;
		if (m->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
			     p < m->data.mapping.pairs.top; p++)
				if (key_is(l, p->key, path, n))
					base = p->value;
		path += n;
		if (*path == '.')
			path++;
	}
	return base;
}

/* A dotted key path after any leading dots: "a", "a.b", never "a..b" or "a.". */
static bool valid_interp_path(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
	s += strspn(s, ".");
	size_t n = strlen(s);
	return n > 0 && strspn(s, ok) == n && strstr(s, "..") == NULL && s[n - 1] != '.';
}

/* OmegaConf interpolations, as the official arch files use them:
 * ${.key} is a sibling (each further dot climbs one level), ${a.b} starts at
 * the top.  A bare arch file is the `arch` node of the composed config, so
 * there ${arch.key} means its own key.  Resolvers (${oc.env:X}) and strings
 * with text around the ${...} are not supported.  Returns 0 with cause on
 * failure, errors naming `at`, the node of the key being read. */
static int resolve(struct loader *l, int v, int at, const char *key, int depth)
{
	char buf[96];
	yaml_node_t *n = node(l, v);
	if (n->type != YAML_SCALAR_NODE)
		return v;
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (strstr(s, "${") == NULL)
		return v;
	if (depth >= MAX_INTERP_DEPTH) {
		fail(l, at, "%s: interpolation loop", key);
		return 0;
	}
	int target = 0;
	if (len >= 4 && strlen(s) == len && strncmp(s, "${", 2) == 0 && s[len - 1] == '}') {
		char *path = xstrdup(s + 2);
		path[len - 3] = '\0';
		if (valid_interp_path(path) && path[0] == '.') {
			const char *p = path + 1;
			int base = l->parent[v];
			for (; *p == '.' && base != 0; p++)
				base = l->parent[base];
			target = walk(l, base, p);
		} else if (valid_interp_path(path)) {
			target = walk(l, l->root, path);
			if (target == 0 && l->bare && strncmp(path, "arch.", 5) == 0)
				target = walk(l, l->root, path + 5);
		}
		free(path);
	}
	if (target == 0 || node(l, target)->type != YAML_SCALAR_NODE) {
		fail(l, at, "%s: cannot resolve interpolation %s to a value", key,
		     excerpt_text(s, len, buf, sizeof buf));
		return 0;
	}
	return resolve(l, target, at, key, depth + 1);
}

/* The scalar text of node v (interpolation resolved), or NULL with cause. */
static const char *scalar_of(struct loader *l, int v, const char *key, const char *expected)
{
	char buf[96];
	int r = resolve(l, v, v, key, 0);
	if (r == 0)
		return NULL;
	yaml_node_t *n = node(l, r);
	if (n->type != YAML_SCALAR_NODE || strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		fail(l, v, "%s: expected %s, got %s", key, expected, excerpt(l, r, buf, sizeof buf));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* Decimal only: YAML 1.1 (PyYAML) reads "010" as octal, so leading zeros are
 * refused rather than guessed. */
static int get_int(struct loader *l, int v, const char *key, int *out)
{
	char buf[96];
	const char *s = scalar_of(l, v, key, "an integer");
	if (s == NULL)
		return -1;
	const char *p = s + (*s == '-' || *s == '+');
	size_t n = strspn(p, "0123456789");
	if (n == 0 || p[n] != '\0' || (p[0] == '0' && n > 1))
		return fail(l, v, "%s: expected an integer, got %s", key,
			    excerpt_text(s, strlen(s), buf, sizeof buf));
	errno = 0;
	long long x = strtoll(s, NULL, 10);
	if (errno != 0 || x < INT_MIN || x > INT_MAX)
		return fail(l, v, "%s: integer %.40s is out of range", key, s);
	*out = (int)x;
	return 0;
}

/* Integers, decimals and exponents ("1e-4", which PyYAML leaves a string
 * but pydantic turns into a float); the character set keeps strtod from
 * taking hex, inf or nan. */
static int get_float(struct loader *l, int v, const char *key, double *out)
{
	char buf[96];
	const char *s = scalar_of(l, v, key, "a number");
	if (s == NULL)
		return -1;
	char *end = NULL;
	bool ok = *s != '\0' && strspn(s, "0123456789+-.eE") == strlen(s);
	double d = ok ? strtod(s, &end) : 0.0;
	if (!ok || *end != '\0' || !isfinite(d))
		return fail(l, v, "%s: expected a number, got %s", key,
			    excerpt_text(s, strlen(s), buf, sizeof buf));
	*out = d;
	return 0;
}

enum field_kind { F_INT, F_FLOAT, F_BOOL, F_POS, F_LOSS, F_LOSS_TYPE, F_NAME, F_DTYPE, F_IGNORE };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
};

#define INT_FIELD(k) { #k, F_INT, offsetof(struct hrm_config, k) }
#define FLOAT_FIELD(k) { #k, F_FLOAT, offsetof(struct hrm_config, k) }
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const struct field arch_fields[] = {
	{ "name", F_NAME, 0 },
	{ "loss", F_LOSS, 0 },
	{ "pos_encodings", F_POS, 0 },
	{ "forward_dtype", F_DTYPE, 0 }, /* recorded; the commands' --dtype decides */
	INT_FIELD(hidden_size), INT_FIELD(num_heads),
	INT_FIELD(H_layers), INT_FIELD(L_layers),
	INT_FIELD(H_cycles), INT_FIELD(L_cycles),
	INT_FIELD(puzzle_emb_ndim), INT_FIELD(halt_max_steps),
	INT_FIELD(vocab_size), INT_FIELD(seq_len), INT_FIELD(num_puzzle_identifiers),
	FLOAT_FIELD(expansion), FLOAT_FIELD(halt_exploration_prob),
	FLOAT_FIELD(rms_norm_eps), FLOAT_FIELD(rope_theta),
	/* TRM's keys */
	{ "mlp_t", F_BOOL, offsetof(struct hrm_config, mlp_t) },
	{ "no_ACT_continue", F_BOOL, offsetof(struct hrm_config, no_ACT_continue) },
	{ "puzzle_emb_len", F_INT, offsetof(struct hrm_config, puzzle_emb_len_key) },
};

static const struct field loss_fields[] = {
	{ "name", F_IGNORE, 0 },
	{ "loss_type", F_LOSS_TYPE, 0 },
};

/* hrmscope's own section: the data-dependent sizes. */
static const struct field hrmscope_fields[] = {
	INT_FIELD(vocab_size), INT_FIELD(seq_len), INT_FIELD(num_puzzle_identifiers),
};

static int load_section(struct loader *l, int map, const char *prefix, const struct field *fields,
			size_t nfields, bool lenient, struct hrm_config *c);

/* YAML 1.1 booleans as PyYAML reads them (the official files write False/True). */
static int get_bool(struct loader *l, int v, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };
	char buf[96];
	const char *s = scalar_of(l, v, key, "true or false");
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < NFIELDS(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return fail(l, v, "%s: expected true or false, got %s", key, excerpt_text(s, strlen(s), buf, sizeof buf));
}

/* The architecture a model name names: the module path before the '@'
 * may differ in forks, the class may not.  -1 if neither. */
static int arch_of_name(const char *s)
{
	const char *cls = strrchr(s, '@');
	cls = cls ? cls + 1 : s;
	for (int a = HRM_ARCH_HRM; a <= HRM_ARCH_TRM; a++) {
		const char *want = strrchr(hrm_arch_class_path((enum hrm_arch_kind)a), '@') + 1;
		if (strcmp(cls, want) == 0)
			return a;
	}
	return -1;
}

static int load_field(struct loader *l, const struct field *f, int v,
		      const char *key, struct hrm_config *c)
{
	char *base = (char *)c;
	const char *s;
	switch (f->kind) {
	case F_INT:
		return get_int(l, v, key, (int *)(void *)(base + f->off));
	case F_FLOAT:
		return get_float(l, v, key, (double *)(void *)(base + f->off));
	case F_BOOL:
		return get_bool(l, v, key, (bool *)(void *)(base + f->off));
	case F_LOSS:
		return load_section(l, v, key, loss_fields, NFIELDS(loss_fields), false, c);
	case F_IGNORE:
		return 0;
	case F_LOSS_TYPE:
		if ((s = scalar_of(l, v, key, "a loss name")) == NULL)
			return -1;
		if (!hrm_loss_type_known(s))
			return fail(l, v, "%s: expected stablemax_cross_entropy or "
				    "softmax_cross_entropy, got '%.60s'", key, s);
		snprintf(c->loss_type, sizeof c->loss_type, "%s", s);
		return 0;
	case F_DTYPE:
		/* any word: the official code knows more dtypes than we run */
		if ((s = scalar_of(l, v, key, "a dtype such as bfloat16")) == NULL)
			return -1;
		snprintf(c->forward_dtype, sizeof c->forward_dtype, "%s", s);
		return 0;
	case F_POS:
		if ((s = scalar_of(l, v, key, "rope, learned or none")) == NULL)
			return -1;
		if (strcmp(s, "rope") != 0 && strcmp(s, "learned") != 0 && strcmp(s, "none") != 0)
			return fail(l, v, "%s: expected rope, learned or none, got '%.60s'", key, s);
		c->pos_encodings = s[0] == 'r' ? HRM_POS_ROPE : s[0] == 'l' ? HRM_POS_LEARNED : HRM_POS_NONE;
		return 0;
	case F_NAME:
		/* other model classes have other tensors */
		if ((s = scalar_of(l, v, key, "a model name")) == NULL)
			return -1;
		if (arch_of_name(s) < 0)
			return fail(l, v, "%s: unsupported architecture '%.80s' (hrmscope runs %s and %s)", key, s,
				    hrm_arch_class_path(HRM_ARCH_HRM), hrm_arch_class_path(HRM_ARCH_TRM));
		c->arch = (enum hrm_arch_kind)arch_of_name(s);
		return 0;
	}
	return 0;
}

/* Reads every key of a mapping against fields[]; unknown keys are errors
 * unless lenient. */
static int load_section(struct loader *l, int map, const char *prefix, const struct field *fields,
			size_t nfields, bool lenient, struct hrm_config *c)
{
	char key[160], buf[96];
	bool seen[NFIELDS(arch_fields)] = { false };
	yaml_node_t *m = node(l, map);
	if (m->type != YAML_MAPPING_NODE)
		return fail(l, map, "%s: expected a mapping, got %s", prefix,
			    excerpt(l, map, buf, sizeof buf));
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		snprintf(key, sizeof key, "%s.%.80s", prefix, key_text(l, p->key));
		for (char *q = key; *q != '\0'; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = '?'; /* keep the message on one line */
		if (map == l->root && l->bare && key_is(l, p->key, "hrmscope", 8))
			continue; /* read by load_tree() */
		size_t j = 0;
		while (j < nfields && !key_is(l, p->key, fields[j].key, strlen(fields[j].key)))
			j++;
		if (j == nfields && lenient)
			continue;
		if (j == nfields)
			return fail(l, p->key, "%s: unknown key", key);
		if (seen[j])
			return fail(l, p->key, "%s: duplicate key", key);
		seen[j] = true;
		if (load_field(l, &fields[j], p->value, key, c) != 0)
			return -1;
	}
	return 0;
}

/* The value of a top-level key, refusing duplicates; 0 if absent. */
static int top_get(struct loader *l, const char *key, int *out)
{
	yaml_node_t *m = node(l, l->root);
	*out = 0;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		if (!key_is(l, p->key, key, strlen(key)))
			continue;
		if (*out != 0)
			return fail(l, p->key, "%s: duplicate key", key);
		*out = p->value;
	}
	return 0;
}

static int load_tree(struct loader *l, struct hrm_config *c)
{
	int arch, own;
	if (node(l, l->root)->type != YAML_MAPPING_NODE)
		return fail(l, l->root, "expected a mapping at the top level");
	if (top_get(l, "arch", &arch) != 0 || top_get(l, "hrmscope", &own) != 0)
		return -1;
	/* In all_config.yaml the other top-level keys are training settings,
	 * which grow with trainer versions and do not concern inference. */
	l->bare = arch == 0;
	/* A file that names its architecture gets that architecture's defaults
	 * for the keys it leaves out (TRM: puzzle_emb_len 16, no_ACT_continue
	 * true), whatever came before; the name is read again below. */
	int sect = l->bare ? l->root : arch, name = node(l, sect)->type == YAML_MAPPING_NODE ? walk(l, sect, "name") : 0;
	if (name != 0) {
		const char *s = scalar_of(l, name, "arch.name", "a model name");
		if (s == NULL)
			return -1;
		if (arch_of_name(s) >= 0)
			hrm_config_set_arch(c, (enum hrm_arch_kind)arch_of_name(s));
	}
	if (load_section(l, l->bare ? l->root : arch, "arch", arch_fields,
			 NFIELDS(arch_fields), false, c) != 0)
		return -1;
	/* Unknown keys in our own section are skipped so that files written by
	 * a newer hrmscope still load. */
	if (own != 0 && load_section(l, own, "hrmscope", hrmscope_fields,
				     NFIELDS(hrmscope_fields), true, c) != 0)
		return -1;
	return 0;
}

int hrm_config_load_yaml(const char *path, struct hrm_config *c, char **cause)
{
	char *data;
	size_t len;
	if (read_file_all(path, MAX_FILE_BYTES, &data, &len, cause) != 0)
		return -1;
	int rc = hrm_config_load_yaml_mem(data, len, path, c, cause);
	free(data);
	return rc;
}

int hrm_config_load_yaml_mem(const char *data, size_t len, const char *name, struct hrm_config *c, char **cause)
{
	if (len > MAX_FILE_BYTES)
		return set_cause(cause, "%s: file larger than %u bytes", name, MAX_FILE_BYTES);
	const char *path = name;
	struct loader l = { .file = path, .cause = cause };
	/* Work on a copy so that a bad file leaves *c untouched. */
	struct hrm_config tmp = *c;
	locale_t c_loc, old = numeric_c_begin(&c_loc);
	int rc = read_document(&l, data, len);
	if (rc == 0)
		rc = load_tree(&l, &tmp);
	numeric_c_end(c_loc, old);
	if (rc == 0 && hrm_config_derive(&tmp, cause) != 0)
		rc = prefix_cause(cause, "%s", path);
	if (rc == 0)
		*c = tmp;
	yaml_document_delete(&l.doc);
	free(l.parent);
	return rc;
}

