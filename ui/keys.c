/* keys.c - the keymap and key list made from TUI_REQUESTS (keys.h). */
#include "ui/keys.h"

#include <stdio.h>

const struct key_entry keys_table[] = {
#define KEYS_ROW(id, ctx, k1, k2, k3, names, help) {REQ_##id, ctx, {k1, k2, k3}, names, help},
    TUI_REQUESTS(KEYS_ROW)
#undef KEYS_ROW
};
const int keys_table_len = (int)(sizeof keys_table / sizeof keys_table[0]);

static bool key_matches(int bound, int ch)
{
	if (bound == 0)
		return false;
	if (bound == KEYS_DIGIT)
		return ch >= '0' && ch <= '9';
	return bound == ch;
}

static enum request lookup_in(enum key_context ctx, int ch)
{
	for (int i = 0; i < keys_table_len; i++) {
		const struct key_entry *k = &keys_table[i];
		if (k->ctx != ctx)
			continue;
		for (int j = 0; j < 3; j++)
			if (key_matches(k->keys[j], ch))
				return k->req;
	}
	return REQ_NONE;
}

enum request keys_lookup(enum key_context ctx, int ch)
{
	enum request r = REQ_NONE;
	if (ctx == CTX_EDIT)
		r = lookup_in(CTX_EDIT, ch);
	if (ctx == CTX_GUESS)
		r = lookup_in(CTX_GUESS, ch);
	if (r == REQ_NONE && (ctx == CTX_EDIT || ctx == CTX_GRID))
		r = lookup_in(CTX_GRID, ch);
	/* the editor leaves the grid only through its own keys */
	if (r == REQ_GRID_LEAVE && ctx == CTX_EDIT)
		r = REQ_NONE;
	if (r == REQ_NONE)
		r = lookup_in(CTX_MAIN, ch);
	return r;
}

const struct key_entry *keys_entry(enum request r)
{
	for (int i = 0; i < keys_table_len; i++)
		if (keys_table[i].req == r)
			return &keys_table[i];
	return NULL;
}

const char *keys_context_name(enum key_context ctx)
{
	switch (ctx) {
	case CTX_MAIN:
		return "Stepping and views";
	case CTX_GRID:
		return "Cell inspector (i)";
	case CTX_EDIT:
		return "Editor (e)";
	case CTX_GUESS:
		return "Guesses view (G)";
	default:
		return "";
	}
}

void keys_print_markdown(FILE *f)
{
	for (int c = 0; c < CTX_COUNT; c++) {
		fprintf(f, "%s**%s**\n\n| key | does |\n|---|---|\n", c ? "\n" : "",
		        keys_context_name((enum key_context)c));
		for (int i = 0; i < keys_table_len; i++)
			if (keys_table[i].ctx == (enum key_context)c)
				fprintf(f, "| `%s` | %s |\n", keys_table[i].names, keys_table[i].help);
	}
}
