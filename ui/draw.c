/* draw.c - helpers shared by the views: text, glyph sets, messages. */
#include "ui/tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct glyphs utf8_glyphs = {
    .upper_half = "\xe2\x96\x80", /* ▀ */
    .bar = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
            "\xe2\x96\x87", "\xe2\x96\x88"},
    .vline = "\xe2\x94\x82", /* │ */
    .hline = "\xe2\x94\x80", /* ─ */
    .cross = "\xe2\x94\xbc", /* ┼ */
    .axis = "\xe2\x94\xa4",  /* ┤ */
    .dot = "\xc2\xb7",       /* · */
    .mark = "\xe2\x97\x80",  /* ◀ */
    .sep = " \xc2\xb7 ",
    .arrow = "\xe2\x86\x92", /* → */
    .check = "\xe2\x9c\x93", /* ✓ */
    .fixed = "\xe2\x97\x86", /* ◆ */
    .crit = "\xe2\x98\x85",  /* ★ */
    .point = "\xe2\x97\x8f", /* ● */
    .shade = {" ", "\xe2\x96\x91", "\xe2\x96\x92", "\xe2\x96\x93", "\xe2\x96\x88"},
};

static const struct glyphs ascii_glyphs = {
    .upper_half = "\"",
    .bar = {" ", ".", ".", "_", "_", "=", "=", "#", "#"},
    .vline = "|",
    .hline = "-",
    .cross = "+",
    .axis = "|",
    .dot = ".",
    .mark = "<",
    .sep = " | ",
    .arrow = "->",
    .check = "ok",
    .fixed = "F",
    .crit = "*",
    .point = "o",
    .shade = {" ", ".", ":", "*", "#"},
};

const struct glyphs *glyphs_get(bool utf8)
{
	return utf8 ? &utf8_glyphs : &ascii_glyphs;
}

int text_width(const char *s)
{
	int n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void draw_text(WINDOW *w, int y, int x, int maxw, enum ui_role r, const char *s)
{
	if (maxw <= 0 || y < 0 || x < 0 || y >= getmaxy(w) || x >= getmaxx(w))
		return;
	if (x + maxw > getmaxx(w))
		maxw = getmaxx(w) - x;
	/* cut at maxw characters, not bytes */
	int cols = 0;
	const char *end = s;
	while (*end) {
		if (((unsigned char)*end & 0xc0) != 0x80) {
			if (cols == maxw)
				break;
			cols++;
		}
		end++;
	}
	wattrset(w, ui_attr(r));
	mvwaddnstr(w, y, x, s, (int)(end - s));
}

const char *text_wrap(const char *s, int room, char *line, size_t len)
{
	while (*s == ' ')
		s++;
	/* the longest run of whole words within room columns; a word longer
	 * than that is cut */
	const char *end = s, *brk = NULL;
	for (int cols = 0; *end && cols < room; end++) {
		if (*end == ' ')
			brk = end;
		if (((unsigned char)*end & 0xc0) != 0x80)
			cols++;
	}
	while (*end && ((unsigned char)*end & 0xc0) == 0x80)
		end++;
	if (*end && *end != ' ' && brk != NULL)
		end = brk;
	snprintf(line, len, "%.*s", (int)(end - s), s);
	while (*end == ' ')
		end++;
	return end;
}

int text_wrap_lines(const char *s, int room)
{
	char line[1024];
	int n = 0;
	while (*s && n < 1000) {
		s = text_wrap(s, room, line, sizeof line);
		n++;
	}
	return n;
}

void draw_fmt(WINDOW *w, int y, int x, int maxw, enum ui_role r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	draw_text(w, y, x, maxw, r, buf);
}

void draw_fill(WINDOW *w, int y, enum ui_role r)
{
	wattrset(w, ui_attr(r));
	wmove(w, y, 0);
	for (int x = 0; x < getmaxx(w); x++)
		waddch(w, ' ');
}

void draw_title(WINDOW *w, struct tui *t, int y, const char *title)
{
	(void)t;
	draw_text(w, y, 0, getmaxx(w), UI_TITLE, title);
}

/* the names that hold a state say it as the loaded architecture does
 * (model/arch.h); kept until the next call */
const char *tui_grid_mode_name(const struct tui *t, enum grid_mode m)
{
	static char buf[96];
	const struct hrm_arch_desc *a = hrm_arch_desc(&t->model->cfg);
	static const char *names[GRID_MODES] = {
	    "input",
	    NULL,
	    NULL,
	    NULL,
	    "label",
	    "diff: prediction vs label",
	    "confidence (softmax)",
	    "changed since the previous step",
	    "change over the last step, per cell",
	    "step each cell's answer last changed",
	};
	if (m == GRID_PRED)
		snprintf(buf, sizeof buf, "prediction lm_head(%s)", a->zH);
	else if (m == GRID_PROBE)
		snprintf(buf, sizeof buf, "probe %s", a->probe);
	else if (m == GRID_ZL)
		snprintf(buf, sizeof buf, "decoded lm_head(%s) (noise)", a->zL);
	else
		return names[m];
	return buf;
}

const char *tui_grid_mode_short(const struct tui *t, enum grid_mode m)
{
	static char buf[48];
	static const char *names[GRID_MODES] = {
	    "input", "prediction", "probe", NULL, "label", "diff", "confidence", "changed", "step change",
	    "last change",
	};
	if (m != GRID_ZL)
		return names[m];
	snprintf(buf, sizeof buf, "decoded %s", hrm_arch_desc(&t->model->cfg)->zL);
	return buf;
}

enum grid_mode tui_grid_mode_shown(const struct tui *t)
{
	/* z_H changes first at the first H-step, position L_cycles + 1 */
	bool no_answer = t->pos <= t->model->cfg.L_cycles;
	return t->grid_mode == GRID_PRED && no_answer ? GRID_INPUT : t->grid_mode;
}

/* play intervals, slow to fast (ms per step) */
static const double play_ms[] = {2000, 1200, 700, 400, 200, 100, 50};

int tui_play_speeds(void)
{
	return (int)(sizeof play_ms / sizeof play_ms[0]);
}

double tui_play_ms(int speed)
{
	int n = tui_play_speeds();
	return play_ms[speed < 0 ? 0 : speed >= n ? n - 1 : speed];
}

bool tui_label_known(const struct tui *t)
{
	return t->puz.has_label;
}
