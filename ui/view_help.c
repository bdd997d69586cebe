/* view_help.c - the `?` screen, made from the key table (keys.h) so it
 * lists exactly the keys the UI obeys.  Long lists flow into two columns
 * and then pages. */
#include "ui/tui.h"

#include <stdio.h>
#include <string.h>

#define KEYW 11

struct help_line {
	char text[160];
	enum ui_role role;
	int indent;
};

/* Appends s to the lines, wrapped at width (after the key column). */
static int wrap(struct help_line *out, int n, int max, const char *key, const char *s, int width)
{
	int avail = width - KEYW - 1;
	if (avail < 10)
		avail = 10;
	bool first = true;
	while (*s && n < max) {
		int len = (int)strlen(s);
		int cut = len;
		if (len > avail) {
			cut = avail;
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = avail;
		}
		snprintf(out[n].text, sizeof out[n].text, "%-*s %.*s", KEYW, first ? key : "", cut, s);
		out[n].role = UI_NORMAL;
		out[n].indent = 1;
		n++;
		first = false;
		s += cut;
		while (*s == ' ')
			s++;
	}
	return n;
}

static struct help_line lines[256];

static int build_lines(int colw)
{
	int n = 0;
	for (int c = 0; c < CTX_COUNT; c++) {
		if (n > 0 && n < 256)
			lines[n++] = (struct help_line){"", UI_NORMAL, 0};
		if (n < 256) {
			snprintf(lines[n].text, sizeof lines[n].text, "%s", keys_context_name((enum key_context)c));
			lines[n].role = UI_TITLE;
			lines[n].indent = 0;
			n++;
		}
		for (int i = 0; i < keys_table_len; i++)
			if (keys_table[i].ctx == (enum key_context)c)
				n = wrap(lines, n, 256, keys_table[i].names, keys_table[i].help, colw);
	}
	return n;
}

static int columns(void)
{
	return COLS >= 100 ? 2 : 1;
}

int help_pages(void)
{
	int cols = columns(), n = build_lines(COLS / cols - 1), per_page = (LINES - 3) * cols;
	return per_page > 0 ? (n + per_page - 1) / per_page : 1;
}

void help_draw(struct tui *t)
{
	int cols = columns(), colw = COLS / cols - 1, n = build_lines(colw);
	int rows = LINES - 3, per_page = rows * cols;
	int pages = (n + per_page - 1) / per_page;
	if (t->help_page >= pages)
		t->help_page = 0;
	werase(stdscr);
	attrset(ui_attr(UI_HEADER));
	mvhline(0, 0, ' ', COLS);
	char title[160];
	snprintf(title, sizeof title, " hrmscope keys%spage %d/%d%s%s", t->g->sep, t->help_page + 1, pages, t->g->sep,
	         pages > 1 && t->help_page + 1 < pages ? "space: next page, any other key closes" : "any key closes");
	mvaddnstr(0, 0, title, COLS);
	int first = t->help_page * per_page;
	for (int i = first; i < n && i < first + per_page; i++) {
		int k = i - first, col = k / rows, row = k % rows;
		attrset(ui_attr(lines[i].role));
		mvaddnstr(2 + row, col * (colw + 1) + lines[i].indent, lines[i].text, colw - lines[i].indent);
	}
	/* the grid modes, in the longest form that fits: never cut */
	static const char *const modes[] = {
	    " Grid modes (m): input, prediction from z_H, probe lm_head(H_level(z_H, z_L)), decoded z_L, label, diff,"
	    " confidence, changed.",
	    " Grid modes (m): input, prediction, probe, decoded z_L, label, diff, confidence, changed.",
	    " m: input, prediction, probe, z_L, label, diff, confidence, changed",
	};
	size_t m = 0;
	while (m + 1 < sizeof modes / sizeof modes[0] && text_width(modes[m]) > COLS)
		m++;
	attrset(ui_attr(UI_DIM));
	mvaddnstr(LINES - 1, 0, modes[m], COLS);
	wnoutrefresh(stdscr);
}
