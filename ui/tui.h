/* tui.h - the ncurses front end: the application state every view reads,
 * the views, and the helpers they share.
 *
 * Views are `const struct view_ops` tables (draw, key, click) over one
 * window each.  Code that changes state only sets dirty bits; the main loop
 * repaints the views whose bits are set, queues each with wnoutrefresh and
 * flushes once with doupdate().  The engine lives on the worker thread
 * (worker.h); views read its history while the main loop holds the lock. */
#ifndef HRM_UI_TUI_H
#define HRM_UI_TUI_H

#include "ui/colors.h"
#include "ui/history.h"
#include "model/hrm.h"
#include "ui/keys.h"
#include "analysis/pr.h"
#include "puzzles/puzzle.h"
#include "ui/source.h"
#include "ui/worker.h"

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

#define TUI_MIN_COLS 80
#define TUI_MIN_LINES 24

enum grid_mode {
	GRID_INPUT,
	GRID_PRED,
	GRID_PROBE,
	GRID_ZL,
	GRID_LABEL,
	GRID_DIFF,
	GRID_CONF,
	GRID_CHANGED,
	GRID_HEAT_STEP, /* how much each cell changed over the last step (grid_heat.c) */
	GRID_HEAT_LAST, /* the step at which each cell's answer last changed */
	GRID_MODES
};
enum metric { METRIC_ABS, METRIC_REL, METRIC_RMS, METRICS };
enum focus { FOCUS_MAIN, FOCUS_GRID, FOCUS_EDIT, FOCUS_GUESS };
enum prompt_kind { PROMPT_NONE, PROMPT_OPEN, PROMPT_GOTO };

/* dirty bits */
enum {
	DIRTY_HEADER = 1 << 0,
	DIRTY_GRID = 1 << 1,
	DIRTY_CHARTS = 1 << 2,
	DIRTY_HALT = 1 << 3,
	DIRTY_PR = 1 << 4,
	DIRTY_INSPECT = 1 << 5,
	DIRTY_STATUS = 1 << 6,
	DIRTY_LAYOUT = 1 << 7,
	DIRTY_CLEAR = 1 << 8,     /* clear the whole screen first */
	DIRTY_GUESS = 1 << 9,     /* the guesses view (shown instead of the others) */
	DIRTY_ALL = (1 << 7) - 1, /* every view; layout and clear are asked for explicitly */
	/* what moving through the run changes */
	DIRTY_POSITION =
	    DIRTY_HEADER | DIRTY_GRID | DIRTY_CHARTS | DIRTY_HALT | DIRTY_PR | DIRTY_INSPECT | DIRTY_STATUS,
};

/* key and click handler results: RES_GOTO asks the loop to move the run to a
 * position (a view changes only what it shows; the loop moves the run) */
enum { RES_NONE = 0, RES_HANDLED = 1, RES_QUIT = 2, RES_GOTO = 3 };

struct tui;
struct view;

struct view_ops {
	const char *name;
	unsigned dirty; /* dirty bits that repaint this view */
	void (*draw)(struct view *v, struct tui *t);
	/* a click at (y, x) inside the view's window: RES_NONE, RES_HANDLED, or
	 * RES_GOTO with *pos the position to show; may be NULL */
	int (*click)(struct view *v, struct tui *t, int y, int x, int *pos);
};

struct view {
	const struct view_ops *ops;
	WINDOW *win;
	int y, x, h, w;
	bool shown;
};

enum view_id {
	V_HEADER, V_GRID, V_INSPECT, V_LCHART, V_HCHART, V_HALT, V_PR, V_CAPTION, V_STATUS, V_GUESS,
	V_ATTN, V_TRAJ, /* side panels: shown instead of the charts and the halting panel */
	V_HALT2,        /* the compared run's halting panel (compare.h) */
	V_COUNT
};
/* what the right-hand side shows (v, z: side_panel.c) */
enum side_panel { SIDE_CHARTS, SIDE_ATTN, SIDE_TRAJ };

/* Characters: UTF-8, or ASCII when the locale is not UTF-8. */
struct glyphs {
	const char *upper_half; /* top cell foreground, bottom background */
	const char *bar[9];     /* 0..8 eighths of a character */
	const char *vline, *hline, *cross, *axis;
	const char *dot, *mark, *sep, *arrow, *check;
	const char *fixed, *crit; /* the fixed-point and critical-step marks */
	const char *point;        /* the compared run's values in the charts */
	const char *shade[5];
};

/* Where a click on the grid or a chart lands. */
struct grid_geom {
	int r0, c0, nr, nc; /* the part of the puzzle shown (ARC: the grids, not the whole canvas) */
	int top, left;      /* first cell, window coordinates */
	int cw;             /* characters per cell */
	int ch;             /* rows per cell: 1, or the scale on a big screen (cw is 2 ch) */
	int left2;          /* a second grid, the input beside the answer (or, comparing, the
	                     * compared run's answer): its first column; 0 none */
	bool pair;          /* comparing: left2 is the compared run's grid */
	bool half;          /* two cells per character, vertically */
	bool sudoku;        /* box lines between the 3x3 boxes */
	int row0;           /* first row shown (scrolling) */
	int rows_shown;
};

struct tui {
	/* model and puzzle */
	struct hrm_model *model;
	struct puzzle_source src;
	int64_t src_index;
	struct puzzle puz;   /* on screen (the edited copy while editing) */
	struct puzzle saved; /* the puzzle as loaded, while editing */
	int32_t pid;
	const struct puzzle_ops *pops;

	/* the run */
	struct worker *worker;
	uint64_t gen;               /* the load this screen shows */
	const struct history *hist; /* valid between lock and unlock */
	int hist_n;                 /* positions computed (snapshot) */
	int target;                 /* the position the user asked for */
	int pos;                    /* shown: min(target, hist_n - 1) */
	bool to_halt;               /* r runs on: target is the end, not a position asked for */
	bool busy;
	bool map_damaged;       /* the checkpoint was cut short while open: said once */
	struct worker_status ws;
	double busy_since;
	enum hrm_dtype dtype; /* the arithmetic of the run and the guesses (D switches) */

	/* view settings */
	enum grid_mode grid_mode;
	enum metric metric;
	bool log_scale;
	bool adaptive;
	enum focus focus;
	int cur_r, cur_c;
	bool playing, teaching;
	int speed; /* index into the play intervals */
	double next_tick;
	bool help_shown;
	int help_page;
	enum prompt_kind prompt;
	char prompt_buf[256];
	int prompt_len;
	char msg[256];
	bool msg_error;
	double msg_until;
	bool pr_accumulate;

	/* PR over earlier puzzles (accumulate): pooled states [n][d], plain loops (pr.h) */
	struct pr_acc acc_H, acc_L; /* every earlier puzzle's pooled states (A) */
	int acc_puzzles;

	/* screen */
	bool utf8;
	const struct glyphs *g;
	unsigned dirty;
	bool too_small;
	struct view views[V_COUNT];
	struct grid_geom geom;
	int chart_pos[2][512]; /* position of each chart column, -1 none */
	int quit;

	/* guesses (G): the view's state, NULL until first opened; the noise on
	 * the initial state of the run on screen when it is a guess run */
	struct guess_view *gv;
	double noise_sigma;
	uint64_t noise_seed;

	/* the side panels (side_panel.c): which one, the attention's layer and
	 * head (0: the mean over heads, else 1-based), the trajectory's state, and the
	 * attention answer last drawn */
	enum side_panel side;
	int attn_layer, attn_head;
	bool traj_zL;
	struct worker_attn_ask attn_seen;

	/* tui --compare (compare.h): the run beside this one, NULL when none;
	 * this run's label while two are compared, short and in full */
	struct session *cmp;
	char run_name[64], run_desc[96];

	/* extras */
	struct recorder *rec;
	char rec_path[512]; /* the recording's file while rec is open */
	struct script *script;
	int wake_fd[2]; /* signals -> main loop */
};

/* The label of the run in t while two are compared (the views that show
 * one run name it), NULL otherwise. */
static inline const char *tui_run_label(const struct tui *t)
{
	return t->cmp ? t->run_name : NULL;
}

/* draw.c: the names of the grid modes, and whether the puzzle's answer is known */
const char *tui_grid_mode_name(const struct tui *t, enum grid_mode m);
/* The same in a word or two, for a title that has no room for the full name. */
const char *tui_grid_mode_short(const struct tui *t, enum grid_mode m);
/* The mode the grid draws: the chosen one, except that the prediction shows
 * the input until the first H-step (until then z_H is the reset state, whose
 * answer is no answer: all wall on a maze, which hides the maze). */
enum grid_mode tui_grid_mode_shown(const struct tui *t);
bool tui_label_known(const struct tui *t);
/* Play speeds, slow to fast: milliseconds per step of speed 0..tui_play_speeds()-1. */
double tui_play_ms(int speed);
int tui_play_speeds(void);

/* view_grid.c: how the grid fits a panel of avail_h x avail_w (title and
 * legend included); returns the rows it takes, *need_w its width.  On a
 * big screen the cells grow (ch rows by 2 ch characters) and the input
 * goes beside the answer, as long as the charts keep their room. */
int grid_plan(const struct tui *t, int avail_h, int avail_w, int screen_w, struct grid_geom *g, int *need_w);

/* view_status.c: whether a message is on the status line, and the lines
 * the status takes at a width (two for a message wider than one) */
bool status_message_shown(const struct tui *t);
int status_lines(const struct tui *t, int width);

/* layout.c */
void layout_apply(struct tui *t);
void layout_draw_too_small(struct tui *t);
extern const struct view_ops view_header_ops, view_grid_ops, view_inspect_ops, view_lchart_ops, view_hchart_ops,
    view_halt_ops, view_pr_ops, view_caption_ops, view_status_ops, view_guess_ops, view_attn_ops, view_traj_ops,
    view_halt2_ops;

/* side_panel.c: the keys of the side panels (RES_NONE when r is not one of
 * theirs), and, once per loop pass, asking the worker for the attention on
 * screen and marking the panel dirty when an answer came in */
int side_request(struct tui *t, enum request r);
void side_sync(struct tui *t);
/* the attention the screen wants: the step on screen (pos 0: none), the
 * layer (clamped to the module that ran it, *mod when not NULL), the cell */
struct worker_attn_ask side_attn_ask(const struct tui *t, enum hrm_module *mod);
/* view_traj.c: points xy[n][2] (PCA coordinates) in braille dots on rows
 * y0..y0+h-1 of w, width columns, each joined to the one before unless
 * start[i] (start may be NULL: one run); exact[i] (may be NULL) colours a
 * point right / wrong; px, py [n] receive each point's character cell. */
void traj_plot(WINDOW *w, int y0, int h, int width, bool utf8, const double *xy, int n, const bool *start,
	       const int *exact, int *px, int *py);

/* draw.c: small drawing helpers */
void draw_text(WINDOW *w, int y, int x, int maxw, enum ui_role r, const char *s);
void draw_fmt(WINDOW *w, int y, int x, int maxw, enum ui_role r, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void draw_fill(WINDOW *w, int y, enum ui_role r);
void draw_title(WINDOW *w, struct tui *t, int y, const char *title);
int text_width(const char *s);
/* the next line of s broken between words within room columns (a word
 * longer than room is cut) into line; returns where the rest starts */
const char *text_wrap(const char *s, int room, char *line, size_t len);
/* how many lines text_wrap makes of s */
int text_wrap_lines(const char *s, int room);
const struct glyphs *glyphs_get(bool utf8);

/* grid_cells.c: what each cell shows in the current grid mode */
struct grid_cell {
	int32_t token;  /* drawn glyph's token, -1 for none */
	enum swatch sw; /* the cell's colour */
	bool wrong, missed, changed, given;
	int shade; /* 0..4 confidence */
};
/* logits of the grid's source at position p (NULL if not computed yet). */
const float *grid_logits(const struct tui *t, enum grid_mode m, int p);
/* Returns false when the mode has nothing to show yet (why says why). */
bool grid_cells(const struct tui *t, struct grid_cell *cells, const char **why);
/* The same for a given mode (the input beside the answer). */
bool grid_cells_in(const struct tui *t, enum grid_mode mode, struct grid_cell *cells, const char **why);
/* grid_heat.c: the heat modes' cells (shade 0..4 on the SW_CONF swatches
 * over the input's cells) and their legend (up to 8 items: a swatch or -1
 * for text; the texts live until the next call) */
bool grid_mode_heat(enum grid_mode m);
bool grid_heat_cells(const struct tui *t, enum grid_mode mode, struct grid_cell *cells, const char **why);
int grid_heat_legend(const struct tui *t, enum grid_mode m, int *sw, const char **text);
/* softmax / stablemax of a logit row, into [V] */
void grid_softmax(const float *row, int V, double *out);
void grid_stablemax(const float *row, int V, double *out);

/* view_halt.c: the fixed point and critical step of the run on screen (history_fixed_point
 * over everything computed); still: [M] or NULL.  Needs the history. */
struct fp_track;
int tui_fixed_point(const struct tui *t, struct fp_track *out, bool *still);

/* view_help.c */
void help_draw(struct tui *t);
int help_pages(void);

/* caption.c */
/* form 0 is the whole caption, 1 and 2 say the same in fewer words (for
 * a narrow screen: caption_draw takes the first that fits) */
enum { CAPTION_FORMS = 3 };
void caption_text(const struct tui *t, char *buf, size_t len, int form);

#endif
