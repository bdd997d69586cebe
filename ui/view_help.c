/* view_help.c - the `?` screen, made from the key table (keys.h) so it
 * lists exactly the keys the UI obeys.  Long lists flow into two columns
 * and then pages.  The last page(s): what the marks, the panels' terms and
 * the grid modes mean. */
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
	int avail = width - KEYW - 2; /* the line is indented by one */
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
		/* the key column by its width on screen (a mark is one column, more bytes) */
		const char *k = first ? key : "";
		int pad = KEYW - text_width(k);
		snprintf(out[n].text, sizeof out[n].text, "%s%*s %.*s", k, pad > 0 ? pad : 0, "", cut, s);
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
static int glossary_first; /* the glossary's first line */

/* The glossary: a term (a mark is named by the glyph set: ASCII has its
 * own) and what it means. */
enum { GL_TEXT, GL_FIXED, GL_CRIT, GL_MARK, GL_POINT };
static const struct {
	int glyph;
	const char *term, *text;
} glossary[] = {
    {GL_TEXT, "dz_L dz_H",
     "the residual bars: how far a step moved the state, ||z(t) - z(t-1)||, as abs L2, relative to ||z|| or "
     "per-token RMS (c). One bar per L-step (L chart) or per H-step (H chart), a line between segments; "
     "the L bars change colour with the H cycle."},
    {GL_FIXED, NULL,
     "fixed point: from the end of this segment on, every segment maps the state onto itself (z_H and z_L move "
     "less than 1 % over a segment, the answer stays the same). Green: that answer is right, red: wrong, "
     "yellow: no label. Over the segment's last bar and on its halting row."},
    {GL_CRIT, NULL,
     "critical step: the segment, and the H cycle in it, after which the answer is exactly right and stays "
     "right (needs the label). Over its H bar and on its halting row."},
    {GL_TEXT, "=",
     "halting panel: a still segment (the same answer as the one before, the states moved less than 1 %)."},
    {GL_MARK, NULL,
     "halting panel: where a halting rule stops the run. max-steps: after M segments (the official "
     "evaluation); adaptive: at the first q_halt > q_continue (the training rule; a TRM without a continue "
     "target: q_halt > 0)."},
    {GL_POINT, NULL,
     "tui --compare: the second run's value over each bar of the first's (one scale; the legend on the "
     "chart's title names both). Each run has its halting table; x swaps which is in front."},
    {GL_TEXT, "q_halt",
     "q_halt, q_cont: the Q head's two logits on z_H[0] at the segment's end, sig their sigmoids; max and "
     "adapt: each rule's decision (cont or HALT); acc: the cells right; exact: the whole answer right."},
    {GL_TEXT, "PR N",
     "participation ratio (tr C)^2 / ||C||_F^2 of the states so far (each H-step's z_H, each L-step's z_L, "
     "averaged over the cells): how many dimensions they spread over. N: the states pooled; PR is at most "
     "N - 1, so under 20 it says small N!. A pools every puzzle seen."},
    {GL_TEXT, "prediction",
     "lm_head(z_H): the answer if the run stopped here. Before the first H-step z_H is its initial state, "
     "so the grid shows the input."},
    {GL_TEXT, "probe",
     "lm_head(H_level(z_H, z_L)): one extra H pass, not kept: what the H-step would answer if it came now "
     "(the paper's probe)."},
    {GL_TEXT, "decoded z_L",
     "lm_head(z_L): the fast state through the output head. z_L is never trained to be read out, so this is "
     "mostly noise; the pattern, not the answer, is the point."},
    {GL_TEXT, "TRM",
     "Tiny Recursive Model: one network does both steps. Its paper calls z_H the answer y and z_L the latent "
     "z, shown as y (z_H) and z (z_L); an L-step is z = net(z, y + x), an H-step y = net(y, z), the probe "
     "lm_head(net(y, z)). It halts on q_halt > 0: q_cont is computed, unused and greyed."},
    {GL_TEXT, "diff", "the cells that differ from the label."},
    {GL_TEXT, "confidence", "each cell's largest softmax probability, in five shades."},
    {GL_TEXT, "changed", "the cells whose prediction changed since the step before."},
    {GL_TEXT, "step change",
     "how much each cell moved in the last step: ||d lm_head(z)|| per cell, the change of its logits (not of "
     "the raw state, whose size the RMS norms set), z the state the step updated "
     "(z_L after an L-step, z_H after an H-step), in five shades of where it lies between the step's smallest "
     "and largest change (the legend gives both)."},
    {GL_TEXT, "last change",
     "the step at which each cell's answer lm_head(z_H) last changed (the input counts as the answer "
     "before step 1): blank never, then brighter for later steps, the legend giving the steps of each shade."},
};

static int build_lines(int colw, int rows, int per_page, const struct glyphs *g)
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
	/* the glossary from a page of its own */
	if (per_page > 0)
		while (n % per_page != 0 && n < 256)
			lines[n++] = (struct help_line){"", UI_NORMAL, 0};
	glossary_first = n;
	if (n < 256)
		lines[n++] = (struct help_line){"Marks and terms", UI_TITLE, 0};
	for (size_t i = 0; i < sizeof glossary / sizeof glossary[0]; i++) {
		const char *term = glossary[i].glyph == GL_FIXED  ? g->fixed
		                   : glossary[i].glyph == GL_CRIT ? g->crit
		                   : glossary[i].glyph == GL_MARK ? g->mark
		                   : glossary[i].glyph == GL_POINT ? g->point
		                                                  : glossary[i].term;
		/* an entry that would run over the bottom of a column starts the next one */
		struct help_line tmp[16];
		int len = wrap(tmp, 0, 16, term, glossary[i].text, colw);
		if (rows > 0 && n % rows != 0 && n % rows + len > rows && len <= rows)
			while (n % rows != 0 && n < 256)
				lines[n++] = (struct help_line){"", UI_NORMAL, 0};
		n = wrap(lines, n, 256, term, glossary[i].text, colw);
	}
	return n;
}

static int columns(void)
{
	return COLS >= 100 ? 2 : 1;
}

int help_pages(void)
{
	int cols = columns(), per_page = (LINES - 3) * cols;
	int n = build_lines(COLS / cols - 1, LINES - 3, per_page, glyphs_get(false));
	return per_page > 0 ? (n + per_page - 1) / per_page : 1;
}

void help_draw(struct tui *t)
{
	int cols = columns(), colw = COLS / cols - 1, rows = LINES - 3, per_page = rows * cols;
	int n = build_lines(colw, rows, per_page, t->g);
	int pages = (n + per_page - 1) / per_page;
	if (t->help_page >= pages)
		t->help_page = 0;
	werase(stdscr);
	attrset(ui_attr(UI_HEADER));
	mvhline(0, 0, ' ', COLS);
	char title[160];
	bool glossary_page = per_page > 0 && t->help_page >= glossary_first / per_page;
	snprintf(title, sizeof title, " hrmscope %s%spage %d/%d%s%s", glossary_page ? "marks and terms" : "keys", t->g->sep,
	         t->help_page + 1, pages, t->g->sep,
	         pages > 1 && t->help_page + 1 < pages ? "space: next page, any other key closes" : "any key closes");
	mvaddnstr(0, 0, title, COLS);
	int first = t->help_page * per_page;
	for (int i = first; i < n && i < first + per_page; i++) {
		int k = i - first, col = k / rows, row = k % rows;
		attrset(ui_attr(lines[i].role));
		/* colw - indent columns: a mark takes more bytes than columns */
		const char *s = lines[i].text;
		mvaddnstr(2 + row, col * (colw + 1) + lines[i].indent, s,
		          colw - lines[i].indent + (int)strlen(s) - text_width(s));
	}
	/* the grid modes, in the longest form that fits: never cut */
	static const char *const modes[] = {
	    " Grid modes (m): input, prediction from z_H, probe lm_head(H_level(z_H, z_L)), decoded z_L, label, diff,"
	    " confidence, changed, step change, last change.",
	    " Grid modes (m): input, prediction, probe, decoded z_L, label, diff, confidence, changed, step change,"
	    " last change.",
	    " m: input, prediction, probe, z_L, label, diff, confidence, changed, step change, last change",
	    " m: input pred probe z_L label diff conf changed step-change last-change",
	};
	size_t m = 0;
	while (m + 1 < sizeof modes / sizeof modes[0] && text_width(modes[m]) > COLS)
		m++;
	attrset(ui_attr(UI_DIM));
	mvaddnstr(LINES - 1, 0, modes[m], COLS);
	wnoutrefresh(stdscr);
}
