/* export_svg.c - the captured screen as SVG: the terminal's grid of cells,
 * backgrounds as rects, text as text elements whose characters are placed
 * one per cell (an x for each), so the picture keeps the grid whatever the
 * monospace font. */
#include "ui/export.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_W 9
#define CELL_H 18
#define FONT_PX 15
#define BASELINE 14
#define DEFAULT_FG "#e5e5e5"
#define DEFAULT_BG "#101010"

struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(o, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

void export_color_hex(short c, bool bg, char out[8])
{
	static const char *const base[16] = {
		"#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
		"#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
	};
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	if (c < 0 || c > 255) {
		snprintf(out, 8, "%s", bg ? DEFAULT_BG : DEFAULT_FG);
	} else if (c < 16) {
		snprintf(out, 8, "%s", base[c]);
	} else if (c < 232) {
		int i = c - 16;
		snprintf(out, 8, "#%02x%02x%02x", level[i / 36], level[i / 6 % 6], level[i % 6]);
	} else {
		int g = 8 + 10 * (c - 232);
		snprintf(out, 8, "#%02x%02x%02x", g, g, g);
	}
}

/* A cell's colours after reverse video. */
static void cell_colors(const struct export_cell *c, char fg[8], char bg[8])
{
	export_color_hex(c->reverse ? c->bg : c->fg, c->reverse, fg);
	export_color_hex(c->reverse ? c->fg : c->bg, !c->reverse, bg);
	if (c->reverse && c->bg < 0)
		snprintf(fg, 8, "%s", DEFAULT_BG);
	if (c->reverse && c->fg < 0)
		snprintf(bg, 8, "%s", DEFAULT_FG);
}

static bool blank(const struct export_cell *c)
{
	return c->ch[0] == 0 || (c->ch[0] == L' ' && c->ch[1] == 0 && !c->underline);
}

static bool same_text_style(const struct export_cell *a, const struct export_cell *b)
{
	char fa[8], ba[8], fb[8], bb[8];
	cell_colors(a, fa, ba);
	cell_colors(b, fb, bb);
	return strcmp(fa, fb) == 0 && a->bold == b->bold && a->dim == b->dim && a->underline == b->underline;
}

static void put_char_xml(struct out *o, wchar_t w)
{
	char u[8];
	int n;
	if (w == L'&') {
		put(o, "&amp;", 5);
		return;
	}
	if (w == L'<') {
		put(o, "&lt;", 4);
		return;
	}
	if (w == L'>') {
		put(o, "&gt;", 4);
		return;
	}
	unsigned long cp = (unsigned long)w;
	if (cp < 0x20 || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
		cp = '?';
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put(o, u, (size_t)n);
}

/* The backgrounds of a row that are not the default, as runs of rects. */
static void row_rects(struct out *o, const struct export_cell *row, int cols, int y)
{
	for (int x = 0; x < cols;) {
		char fg[8], bg[8], bg2[8], f2[8];
		cell_colors(&row[x], fg, bg);
		int e = x + 1;
		while (e < cols && (cell_colors(&row[e], f2, bg2), strcmp(bg, bg2) == 0))
			e++;
		if (strcmp(bg, DEFAULT_BG) != 0)
			putf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x * CELL_W,
			     y * CELL_H, (e - x) * CELL_W, CELL_H, bg);
		x = e;
	}
}

/* The text of a row: runs of one style, from a non-blank cell to the last
 * non-blank one before the style changes. */
static void row_text(struct out *o, const struct export_cell *row, int cols, int y)
{
	for (int x = 0; x < cols;) {
		if (blank(&row[x])) {
			x++;
			continue;
		}
		int e = x + 1, last = x;
		while (e < cols && (blank(&row[e]) || same_text_style(&row[x], &row[e]))) {
			if (!blank(&row[e]))
				last = e;
			e++;
		}
		char fg[8], bg[8];
		cell_colors(&row[x], fg, bg);
		put(o, "<text x=\"", 9);
		for (int k = x; k <= last; k++)
			putf(o, k > x ? " %d" : "%d", k * CELL_W);
		putf(o, "\" y=\"%d\" fill=\"%s\"%s%s%s>", y * CELL_H + BASELINE, fg,
		     row[x].bold ? " font-weight=\"bold\"" : "", row[x].dim ? " opacity=\"0.6\"" : "",
		     row[x].underline ? " text-decoration=\"underline\"" : "");
		for (int k = x; k <= last; k++) {
			if (row[k].ch[0] == 0)
				put(o, " ", 1);
			for (int j = 0; j < 4 && row[k].ch[j]; j++)
				put_char_xml(o, row[k].ch[j]);
		}
		put(o, "</text>\n", 8);
		x = last + 1;
	}
}

char *export_svg(const struct export_screen *s, size_t *len)
{
	struct out o = { 0 };
	int w = s->cols * CELL_W, h = s->rows * CELL_H;
	putf(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	putf(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" ", w, h, w,
	     h);
	putf(&o, "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%d\" "
		 "xml:space=\"preserve\">\n", FONT_PX);
	putf(&o, "<!-- hrmscope screen, %d x %d cells of %d x %d px -->\n", s->cols, s->rows, CELL_W, CELL_H);
	putf(&o, "<rect width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", w, h, DEFAULT_BG);
	for (int y = 0; y < s->rows; y++)
		row_rects(&o, s->cells + (size_t)y * s->cols, s->cols, y);
	for (int y = 0; y < s->rows; y++)
		row_text(&o, s->cells + (size_t)y * s->cols, s->cols, y);
	put(&o, "</svg>\n", 7);
	*len = o.len;
	return o.p;
}
