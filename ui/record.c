/* record.c - asciinema v2 recording of the screen (see record.h). */
#include "ui/record.h"
#include "core/util.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct recorder {
	struct atomic_file af; /* the file appears (whole) when the session ends */
	FILE *f;
	char *path;
	double t0;
	int rows, cols;
	bool header;
	char *last; /* the last frame written */
	char *buf;
	size_t len, cap;
	bool failed;
};

struct recorder *record_open(const char *path, char **cause)
{
	struct atomic_file af;
	if (atomic_open(&af, path, cause) != 0)
		return NULL;
	struct recorder *r = xcalloc(1, sizeof *r);
	r->af = af;
	r->f = af.f;
	r->path = xstrdup(path);
	r->t0 = monotonic_s();
	return r;
}

static void put(struct recorder *r, const char *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

static void puts_(struct recorder *r, const char *s)
{
	put(r, s, strlen(s));
}

/* JSON string escaping of terminal output */
static void put_json_char(struct recorder *r, unsigned char c)
{
	char tmp[8];
	if (c == '"' || c == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		put(r, tmp, 2);
	} else if (c < 0x20) {
		snprintf(tmp, sizeof tmp, "\\u%04x", c);
		put(r, tmp, 6);
	} else {
		tmp[0] = (char)c;
		put(r, tmp, 1);
	}
}

static void put_json(struct recorder *r, const char *s)
{
	for (; *s; s++)
		put_json_char(r, (unsigned char)*s);
}

static int utf8_encode(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void sgr_color(char *buf, size_t len, short c, bool bg)
{
	if (c < 0)
		snprintf(buf, len, ";%d", bg ? 49 : 39);
	else if (c < 8)
		snprintf(buf, len, ";%d", (bg ? 40 : 30) + c);
	else if (c < 16)
		snprintf(buf, len, ";%d", (bg ? 100 : 90) + c - 8);
	else
		snprintf(buf, len, ";%d;5;%d", bg ? 48 : 38, c);
}

/* The screen as terminal output: SGR changes and characters, row by row. */
static void render_screen(struct recorder *r, char **out, size_t *out_len)
{
	size_t mark = r->len;
	char tmp[64];
	attr_t last_attr = (attr_t)-1;
	short last_pair = -1;
	puts_(r, "\033[0m\033[H");
	for (int y = 0; y < LINES; y++) {
		snprintf(tmp, sizeof tmp, "\033[%d;1H", y + 1);
		puts_(r, tmp);
		for (int x = 0; x < COLS; x++) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t attr = 0;
			short pair = 0;
			if (mvwin_wch(curscr, y, x, &cc) == ERR || getcchar(&cc, wch, &attr, &pair, NULL) == ERR) {
				wch[0] = L' ';
				wch[1] = 0;
			}
			attr &= (A_BOLD | A_DIM | A_UNDERLINE | A_REVERSE | A_BLINK);
			if (attr != last_attr || pair != last_pair) {
				char sgr[96] = "\033[0";
				if (attr & A_BOLD)
					strcat(sgr, ";1");
				if (attr & A_DIM)
					strcat(sgr, ";2");
				if (attr & A_UNDERLINE)
					strcat(sgr, ";4");
				if (attr & A_BLINK)
					strcat(sgr, ";5");
				if (attr & A_REVERSE)
					strcat(sgr, ";7");
				short fg = -1, bg = -1;
				if (pair > 0 && pair_content(pair, &fg, &bg) == OK) {
					char c[24];
					sgr_color(c, sizeof c, fg, false);
					strcat(sgr, c);
					sgr_color(c, sizeof c, bg, true);
					strcat(sgr, c);
				}
				strcat(sgr, "m");
				puts_(r, sgr);
				last_attr = attr;
				last_pair = pair;
			}
			for (int k = 0; k < CCHARW_MAX && wch[k]; k++) {
				char u[4];
				int n = utf8_encode((unsigned long)wch[k], u);
				put(r, u, (size_t)n);
			}
			if (wch[0] == 0)
				puts_(r, " ");
		}
	}
	puts_(r, "\033[0m");
	*out = xmalloc(r->len - mark + 1);
	memcpy(*out, r->buf + mark, r->len - mark + 1);
	*out_len = r->len - mark;
	r->len = mark;
}

void record_frame(struct recorder *r)
{
	if (r == NULL || r->failed)
		return;
	double t = monotonic_s() - r->t0;
	r->len = 0;
	if (!r->header) {
		fprintf(r->f,
		        "{\"version\": 2, \"width\": %d, \"height\": %d, \"timestamp\": %ld, "
		        "\"title\": \"hrmscope\", \"env\": {\"TERM\": \"xterm-256color\"}}\n",
		        COLS, LINES, (long)time(NULL));
		r->header = true;
		r->rows = LINES;
		r->cols = COLS;
	}
	if (LINES != r->rows || COLS != r->cols) {
		fprintf(r->f, "[%.6f, \"r\", \"%dx%d\"]\n", t, COLS, LINES);
		r->rows = LINES;
		r->cols = COLS;
		free(r->last);
		r->last = NULL;
	}
	char *frame;
	size_t n;
	render_screen(r, &frame, &n);
	if (r->last && strcmp(r->last, frame) == 0) {
		free(frame);
		return;
	}
	const char *prefix = r->last ? "" : "\033[2J";
	r->len = 0;
	put_json(r, prefix);
	put_json(r, frame);
	fprintf(r->f, "[%.6f, \"o\", \"%s\"]\n", t, r->buf);
	free(r->last);
	r->last = frame;
	if (ferror(r->f))
		r->failed = true;
}

int record_close(struct recorder *r, char **cause)
{
	if (r == NULL)
		return 0;
	int rc = 0;
	if (r->failed) {
		atomic_abort(&r->af);
		rc = set_cause(cause, "%s: cannot write the recording", r->path);
	} else if (atomic_commit(&r->af, cause) != 0) {
		rc = -1;
	}
	free(r->path);
	free(r->last);
	free(r->buf);
	free(r);
	return rc;
}
