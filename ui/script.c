/* script.c - scripted keys (see script.h). */
#include "ui/script.h"
#include "ui/keys.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct script {
	int *keys;
	int n, next;
	int delay_ms;
	double due; /* time the next key may go */
};

struct named_key {
	const char *name;
	int key;
};

static const struct named_key names[] = {
    {"space", ' '},
    {"esc", KEYS_ESC},
    {"enter", '\n'},
    {"tab", '\t'},
    {"left", KEY_LEFT},
    {"right", KEY_RIGHT},
    {"up", KEY_UP},
    {"down", KEY_DOWN},
    {"home", KEY_HOME},
    {"end", KEY_END},
    {"backspace", KEY_BACKSPACE},
    {"f1", KEY_F(1)},
};

static void push(struct script *s, int *cap, int key)
{
	if (s->n == *cap) {
		*cap = *cap ? 2 * *cap : 32;
		s->keys = xrealloc(s->keys, (size_t)*cap * sizeof *s->keys);
	}
	s->keys[s->n++] = key;
}

struct script *script_parse(const char *spec, int delay_ms, char **cause)
{
	struct script *s = xcalloc(1, sizeof *s);
	int cap = 0;
	s->delay_ms = delay_ms;
	const char *p = spec;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char word[256];
		if (len >= sizeof word) {
			script_free(s);
			set_cause(cause, "--keys: word too long");
			return NULL;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		bool found = false;
		if (len == 1) {
			push(s, &cap, (unsigned char)word[0]);
			continue;
		}
		if (len == 2 && word[0] == '^') {
			push(s, &cap, KEYS_CTRL(tolower((unsigned char)word[1])));
			continue;
		}
		if (!strncmp(word, "text:", 5)) {
			for (const char *c = word + 5; *c; c++)
				push(s, &cap, (unsigned char)*c);
			continue;
		}
		if (!strncmp(word, "sleep:", 6)) {
			char *e;
			long ms = strtol(word + 6, &e, 10);
			if (*e || ms < 0 || ms > 600000) {
				script_free(s);
				set_cause(cause, "--keys: bad sleep '%s'", word);
				return NULL;
			}
			push(s, &cap, SCRIPT_SLEEP_BASE - (int)ms);
			continue;
		}
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(word, names[i].name)) {
				push(s, &cap, names[i].key);
				found = true;
			}
		if (!found) {
			script_free(s);
			set_cause(cause,
			          "--keys: unknown key '%s' (one character, a name like space or esc, ^X, "
			          "text:..., sleep:MS)",
			          word);
			return NULL;
		}
	}
	return s;
}

void script_free(struct script *s)
{
	if (s == NULL)
		return;
	free(s->keys);
	free(s);
}

bool script_done(const struct script *s)
{
	return s == NULL || s->next >= s->n;
}

int script_next(struct script *s, double now_ms, bool idle)
{
	if (script_done(s) || now_ms < s->due || !idle)
		return -1;
	int k = s->keys[s->next++];
	if (k <= SCRIPT_SLEEP_BASE) {
		s->due = now_ms + (SCRIPT_SLEEP_BASE - k);
		return -1;
	}
	s->due = now_ms + s->delay_ms;
	return k;
}

int script_wait_ms(const struct script *s, double now_ms)
{
	if (script_done(s))
		return -1;
	double d = s->due - now_ms;
	return d <= 0 ? 0 : (int)d + 1;
}
