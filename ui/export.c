/* export.c - E: capture the screen, write it as text and SVG (export_svg.c)
 * and the data of the charts on screen as CSV, to new files (export.h). */
#include "ui/export.h"
#include "ui/app.h"
#include "ui/guess_view.h"
#include "ui/tui.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void export_capture(struct export_screen *s)
{
	s->rows = LINES;
	s->cols = COLS;
	s->cells = xcalloc((size_t)LINES * (size_t)COLS, sizeof *s->cells);
	for (int y = 0; y < LINES; y++)
		for (int x = 0; x < COLS; x++) {
			struct export_cell *c = &s->cells[(size_t)y * COLS + x];
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1] = { 0 };
			attr_t attr = 0;
			short pair = 0, fg = -1, bg = -1;
			if (mvwin_wch(curscr, y, x, &cc) == ERR || getcchar(&cc, wch, &attr, &pair, NULL) == ERR) {
				wch[0] = L' ';
				wch[1] = 0;
			}
			for (int k = 0; k < 3 && k < CCHARW_MAX && wch[k]; k++)
				c->ch[k] = wch[k];
			if (pair > 0 && pair_content(pair, &fg, &bg) != OK)
				fg = bg = -1;
			c->fg = fg;
			c->bg = bg;
			c->bold = (attr & A_BOLD) != 0;
			c->dim = (attr & A_DIM) != 0;
			c->underline = (attr & A_UNDERLINE) != 0;
			c->reverse = (attr & A_REVERSE) != 0;
		}
}

void export_screen_free(struct export_screen *s)
{
	free(s->cells);
	s->cells = NULL;
}

char *export_text(const struct export_screen *s, size_t *len)
{
	size_t cap = (size_t)s->rows * ((size_t)s->cols * 4 * MB_LEN_MAX + 1) + 1, n = 0;
	char *out = xmalloc(cap);
	for (int y = 0; y < s->rows; y++) {
		size_t line_start = n, keep = n;
		for (int x = 0; x < s->cols; x++) {
			const struct export_cell *c = &s->cells[(size_t)y * s->cols + x];
			if (c->ch[0] == 0) {
				out[n++] = ' ';
				continue;
			}
			for (int k = 0; k < 4 && c->ch[k]; k++) {
				mbstate_t st;
				memset(&st, 0, sizeof st);
				size_t m = wcrtomb(out + n, c->ch[k], &st);
				if (m == (size_t)-1)
					out[n++] = '?';
				else
					n += m;
			}
			if (!(c->ch[0] == L' ' && c->ch[1] == 0))
				keep = n;
		}
		(void)line_start;
		n = keep; /* trailing spaces dropped */
		out[n++] = '\n';
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* ---- the chart data ---- */

struct csv {
	char *p;
	size_t len, cap;
};

static void csvf(struct csv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void csvf(struct csv *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (c->len + (size_t)n + 1 > c->cap) {
		c->cap = (c->len + (size_t)n + 1) * 2 + 4096;
		c->p = xrealloc(c->p, c->cap);
	}
	va_start(ap, fmt);
	vsnprintf(c->p + c->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->len += (size_t)n;
}

static const char *kind_name(enum hist_kind k)
{
	return k == HIST_L ? "L" : k == HIST_H ? "H" : "reset";
}

/* The debugger's charts: every computed position (the residual charts, the
 * norms, the answer's score, the halting table on segment ends). */
static void csv_history(struct tui *t, struct csv *c)
{
	csvf(c, "position,on_screen,kind,segment,h_cycle,l_step,res_abs,res_rel,res_rms,norm_zH,norm_zL,"
		"pct_right,exact,q_halt,q_continue,halt_max_steps,halt_adaptive,seg_dzH_rel,seg_dzL_rel,cells_changed\n");
	worker_lock(t->worker);
	const struct history *h = worker_history(t->worker);
	int n = h->gen == t->gen ? h->n : 0;
	for (int p = 0; p < n; p++) {
		const struct hist_pos *hp = &h->pos[p];
		bool reset = hp->kind == HIST_RESET;
		csvf(c, "%d,%d,%s,", p, p == t->pos, kind_name(hp->kind));
		if (reset)
			csvf(c, ",,,,,,");
		else if (hp->kind == HIST_L)
			csvf(c, "%d,%d,%d,%.9g,%.9g,%.9g,", hp->segment, hp->h_cycle, hp->l_step, hp->res[0], hp->res[1],
			     hp->res[2]);
		else
			csvf(c, "%d,%d,,%.9g,%.9g,%.9g,", hp->segment, hp->h_cycle, hp->res[0], hp->res[1], hp->res[2]);
		if (reset)
			csvf(c, ",,");
		else
			csvf(c, "%.9g,%.9g,", hp->norm_zH, hp->norm_zL);
		int pct = history_pct_right(hp);
		if (!reset && hp->kind == HIST_H && pct >= 0)
			csvf(c, "%d,%d,", pct, hp->exact);
		else
			csvf(c, ",,");
		if (hp->seg_end)
			csvf(c, "%.9g,%.9g,%d,%d,%.9g,%.9g,%d\n", hp->q_halt, hp->q_continue, hp->halt_max,
			     hp->halt_adaptive, hp->seg_rel[0], hp->seg_rel[1], hp->cells_changed);
		else
			csvf(c, ",,,,,,\n");
	}
	worker_unlock(t->worker);
}

/* The guesses view: its table, one row per run. */
static void csv_guesses(struct tui *t, struct csv *c)
{
	csvf(c, "run,model,version,group,repeat_of,q_halt,q_continue,exact,fixed_point,critical_segment,critical_h\n");
	struct guess_view *gv = t->gv;
	pthread_mutex_lock(&gv->mu);
	for (int i = 0; gv->have && i < gv->res.n; i++) {
		const struct guess_one *g = &gv->res.runs[i];
		char grp[16] = "";
		if (g->group >= 0)
			guess_group_name(g->group, grp, sizeof grp);
		csvf(c, "%d,%d,%d,%s,%d,%.9g,%.9g,%d,%d,%d,%d\n", i, g->model, g->version, grp, g->repeat_of, g->q_halt,
		     g->q_continue, g->exact, g->fp_entered, g->crit_seg, g->crit_h);
	}
	pthread_mutex_unlock(&gv->mu);
}

/* ---- new files, never one that is there ---- */

/* Writes data to path under a temporary name, then links it into place:
 * 0, 1 when path exists (nothing written), -1 with *cause. */
static int write_new(const char *path, const char *data, size_t len, char **cause)
{
	size_t n = strlen(path) + 16;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		set_cause(cause, "%s: cannot write: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	mode_t mask = umask(0); /* the mode a new file gets, as fopen makes it */
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		/* keeps mkstemp's 0600 */
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int rc = 0;
	if (off < len || fsync(fd) != 0) {
		rc = set_cause(cause, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
	} else if (link(tmp, path) != 0) {
		rc = errno == EEXIST ? 1 : set_cause(cause, "%s: cannot write: %s", path, strerror(errno));
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

enum { EXP_TXT, EXP_SVG, EXP_CSV, EXPORTS };
static const char *const ext[EXPORTS] = { "txt", "svg", "csv" };

/* The three files under the first free name; the base name in name. */
static int write_all(char *const data[EXPORTS], const size_t len[EXPORTS], char *name, size_t name_len, char **cause)
{
	char stamp[64];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "hrmscope-%Y%m%d-%H%M%S", &tm);
	for (int k = 1; k < 1000; k++) {
		char path[EXPORTS][96];
		if (k == 1)
			snprintf(name, name_len, "%s", stamp);
		else
			snprintf(name, name_len, "%s-%d", stamp, k);
		bool taken = false;
		for (int i = 0; i < EXPORTS; i++) {
			snprintf(path[i], sizeof path[i], "%s.%s", name, ext[i]);
			taken |= exists(path[i]);
		}
		if (taken)
			continue;
		int i, rc = 0;
		for (i = 0; i < EXPORTS && rc == 0; i++)
			rc = write_new(path[i], data[i], len[i], cause);
		if (rc == 0)
			return 0;
		for (int j = 0; j < i - 1; j++) /* ours, written a moment ago */
			unlink(path[j]);
		if (rc < 0)
			return -1;
	}
	return set_cause(cause, "%s: a thousand exports this second already", stamp);
}

void export_request(struct tui *t)
{
	struct export_screen s;
	export_capture(&s);
	char *data[EXPORTS];
	size_t len[EXPORTS];
	data[EXP_TXT] = export_text(&s, &len[EXP_TXT]);
	data[EXP_SVG] = export_svg(&s, &len[EXP_SVG]);
	export_screen_free(&s);
	struct csv c = { 0 };
	bool guesses = t->views[V_GUESS].shown && t->gv != NULL;
	if (guesses)
		csv_guesses(t, &c);
	else
		csv_history(t, &c);
	data[EXP_CSV] = c.p;
	len[EXP_CSV] = c.len;
	char name[80], *cause = NULL;
	if (write_all(data, len, name, sizeof name, &cause) == 0)
		app_message(t, false, "exported %s.txt, .svg (the screen) and .csv (%s)", name,
			    guesses ? "the guesses" : "the charts' data");
	else
		app_message(t, true, "%s", cause);
	free(cause);
	for (int i = 0; i < EXPORTS; i++)
		free(data[i]);
}
