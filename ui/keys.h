/* keys.h - every user request of the TUI, declared once.
 *
 * TUI_REQUESTS(X) expands X(id, context, key1, key2, key3, keynames, help)
 * for each request.  The same list makes the request enum, the keymap
 * (keys_lookup), the `?` help screen and the README key list
 * (`hrmscope tui --list-keys`), so they cannot drift apart.
 *
 * Contexts: CTX_MAIN requests work everywhere unless a narrower context
 * (the grid cursor of the inspector, the editor) claims the key first.
 * Key 0 means "none"; KEYS_DIGIT matches the digits 0-9. */
#ifndef HRM_UI_KEYS_H
#define HRM_UI_KEYS_H

#include <curses.h>

#define KEYS_ESC 27
#define KEYS_CTRL(c) ((c)&0x1f)
#define KEYS_DIGIT (-2)

enum key_context { CTX_MAIN, CTX_GRID, CTX_EDIT, CTX_GUESS, CTX_COUNT };

#define TUI_REQUESTS(X)                                                                                                \
	X(STEP_L, CTX_MAIN, 'l', 0, 0, "l", "run one L-step (the fast module)")                                        \
	X(STEP_H, CTX_MAIN, 'h', 0, 0, "h", "run to the next H-step (the slow module updates the plan)")               \
	X(STEP_SEGMENT, CTX_MAIN, 's', 0, 0, "s", "run to the end of the segment (prediction, q_halt, q_continue)")    \
	X(RUN, CTX_MAIN, 'r', 0, 0, "r", "run until halting, under the rule chosen with a")                            \
	X(HALT_RULE, CTX_MAIN, 'a', 0, 0, "a",                                                                         \
	  "halting rule: max-steps (official evaluation) / adaptive (q_halt > q_continue)")                            \
	X(PLAY, CTX_MAIN, ' ', 0, 0, "space", "play / pause, one step at a time")                                      \
	X(FASTER, CTX_MAIN, '+', '=', 0, "+", "play faster")                                                           \
	X(SLOWER, CTX_MAIN, '-', '_', 0, "-", "play slower")                                                           \
	X(BACK, CTX_MAIN, 'b', KEY_LEFT, 0, "b Left", "one step back through the history")                             \
	X(FORWARD, CTX_MAIN, 'f', KEY_RIGHT, 0, "f Right", "one step forward (computes it at the end of the history)") \
	X(BACK_SEGMENT, CTX_MAIN, '[', KEY_SLEFT, 0, "[", "one segment back")                                          \
	X(FORWARD_SEGMENT, CTX_MAIN, ']', KEY_SRIGHT, 0, "]", "one segment forward")                                   \
	X(FIRST, CTX_MAIN, KEY_HOME, '0', 0, "Home 0", "back to the start")                                            \
	X(LAST, CTX_MAIN, KEY_END, '$', 0, "End $", "to the last computed step")                                       \
	X(GOTO, CTX_MAIN, 'g', 0, 0, "g", "go to a segment (type its number, Enter)")                                  \
	X(NEXT_PUZZLE, CTX_MAIN, 'n', 0, 0, "n", "next puzzle (dataset, file, or a fresh maze)")                       \
	X(PREV_PUZZLE, CTX_MAIN, 'p', 0, 0, "p", "previous puzzle")                                                    \
	X(OPEN, CTX_MAIN, 'o', 0, 0, "o", "open a puzzle: FILE[:INDEX] or DATASET[:SPLIT[:INDEX]]")                    \
	X(RESTART, CTX_MAIN, 'R', 0, 0, "R", "restart the puzzle from the initial state")                              \
	X(DTYPE, CTX_MAIN, 'D', 0, 0, "D", "arithmetic: fp32 / bf16 (the official one); restarts the puzzle")          \
	X(EDIT, CTX_MAIN, 'e', 0, 0, "e", "edit the puzzle, then Enter re-runs it")                                    \
	X(GRID_MODE, CTX_MAIN, 'm', 0, 0, "m",                                                                         \
	  "grid: input, prediction, probe, z_L, label, diff, confidence, changed, step change, last change")                                     \
	X(GRID_MODE_BACK, CTX_MAIN, 'M', 0, 0, "M", "grid mode, backwards")                                            \
	X(METRIC, CTX_MAIN, 'c', 0, 0, "c", "chart metric: abs L2 / relative / per-token RMS")                         \
	X(LOG_SCALE, CTX_MAIN, 'L', 0, 0, "L", "charts: log / linear scale")                                           \
	X(INSPECT, CTX_MAIN, 'i', '\t', 0, "i Tab", "cell inspector: a cursor on the grid")                            \
	X(PR_SET, CTX_MAIN, 'A', 0, 0, "A", "PR over this puzzle / every puzzle seen (accumulate)")                    \
	X(TEACH, CTX_MAIN, 't', 0, 0, "t", "teaching mode: autoplay with a caption of what happens")                   \
	X(GUESSES, CTX_MAIN, 'G', 0, 0, "G",                                                                           \
	  "guesses: K perturbed versions as one batch, the fixed points they reach, the vote")                         \
	X(ATTN_VIEW, CTX_MAIN, 'v', 0, 0, "v",                                                                         \
	  "attention: where the inspected cell looks at this step (a layer and head of the module that ran)")         \
	X(ATTN_LAYER, CTX_MAIN, '>', '.', 0, "> .", "attention: next layer")                                          \
	X(ATTN_LAYER_BACK, CTX_MAIN, '<', ',', 0, "< ,", "attention: previous layer")                                 \
	X(ATTN_HEAD, CTX_MAIN, '}', 0, 0, "}", "attention: next head (after the last: the mean over heads)")          \
	X(ATTN_HEAD_BACK, CTX_MAIN, '{', 0, 0, "{", "attention: previous head")                                       \
	X(ATTN_MEAN, CTX_MAIN, 'H', 0, 0, "H", "attention: the mean over heads / one head")                           \
	X(TRAJ_VIEW, CTX_MAIN, 'z', 0, 0, "z",                                                                         \
	  "trajectory map: the states after every step on their first two principal components")                      \
	X(TRAJ_STATE, CTX_MAIN, 'Z', 0, 0, "Z", "trajectory map: z_H / z_L")                                          \
	X(COMPARE_FRONT, CTX_MAIN, 'x', 0, 0, "x",                                                                    \
	  "tui --compare: swap the two runs (which one is in front: the grid on a small screen, the inspector)")       \
	X(HELP, CTX_MAIN, '?', KEY_F(1), 0, "? F1", "this help (any key closes it)")                                   \
	X(RECORD, CTX_MAIN, 'W', 0, 0, "W",                                                                            \
	  "record the screen to hrmscope-DATE-TIME.cast / stop (asciinema play FILE plays it)")                       \
	X(EXPORT, CTX_MAIN, 'E', 0, 0, "E", "export: the screen as .txt and .svg, the charts' data as .csv (hrmscope-DATE-TIME)") \
	X(REDRAW, CTX_MAIN, KEYS_CTRL('l'), 0, 0, "^L", "redraw the screen")                                           \
	X(CANCEL, CTX_MAIN, KEYS_ESC, 0, 0, "Esc", "cancel the computation, stop playing")                             \
	X(QUIT, CTX_MAIN, 'q', 0, 0, "q", "quit")                                                                      \
	X(CELL_LEFT, CTX_GRID, 'h', KEY_LEFT, 0, "h Left", "cursor left")                                              \
	X(CELL_DOWN, CTX_GRID, 'j', KEY_DOWN, 0, "j Down", "cursor down")                                              \
	X(CELL_UP, CTX_GRID, 'k', KEY_UP, 0, "k Up", "cursor up")                                                      \
	X(CELL_RIGHT, CTX_GRID, 'l', KEY_RIGHT, 0, "l Right", "cursor right")                                          \
	X(GRID_LEAVE, CTX_GRID, KEYS_ESC, 'i', '\t', "Esc i Tab", "leave the grid")                                    \
	X(EDIT_WALL, CTX_EDIT, ' ', '#', 0, "space #", "maze: wall / open")                                            \
	X(EDIT_START, CTX_EDIT, 'S', 0, 0, "S", "maze: move the start here")                                           \
	X(EDIT_GOAL, CTX_EDIT, 'G', 0, 0, "G", "maze: move the goal here")                                             \
	X(EDIT_DIGIT, CTX_EDIT, KEYS_DIGIT, '.', 0, "0-9 .", "sudoku: digit (0 or . clears); ARC: colour")             \
	X(EDIT_APPLY, CTX_EDIT, '\n', '\r', KEY_ENTER, "Enter", "re-run on the edited puzzle")                         \
	X(EDIT_CANCEL, CTX_EDIT, KEYS_ESC, 'e', 0, "Esc e", "drop the edits")                                          \
	X(GUESS_DOWN, CTX_GUESS, 'j', KEY_DOWN, 0, "j Down", "select the next run")                                    \
	X(GUESS_UP, CTX_GUESS, 'k', KEY_UP, 0, "k Up", "select the previous run")                                      \
	X(GUESS_ENTER, CTX_GUESS, '\n', '\r', KEY_ENTER, "Enter",                                                      \
	  "step into the selected run with the full debugger (G comes back)")                                         \
	X(GUESS_PERTURB, CTX_GUESS, 'x', 0, 0, "x", "next perturbation: augment, dihedral, relabel, shuffle, colors, noise") \
	X(GUESS_MORE, CTX_GUESS, '+', '=', 0, "+", "twice as many guesses (K, the batch)")                              \
	X(GUESS_FEWER, CTX_GUESS, '-', '_', 0, "-", "half as many guesses")                                            \
	X(GUESS_ORIGINAL, CTX_GUESS, 'o', 0, 0, "o", "back to the original puzzle where its run was (after Enter)")    \
	X(GUESS_MAP, CTX_GUESS, 'z', 0, 0, "z", "the runs' trajectory map (PCA over all of them) / the tables")           \
	X(GUESS_CLOSE, CTX_GUESS, KEYS_ESC, 'G', 0, "Esc G", "back to the debugger")

enum request {
	REQ_NONE = 0,
#define KEYS_ENUM(id, ctx, k1, k2, k3, names, help) REQ_##id,
	TUI_REQUESTS(KEYS_ENUM)
#undef KEYS_ENUM
	    REQ_COUNT
};

struct key_entry {
	enum request req;
	enum key_context ctx;
	int keys[3];
	const char *names;
	const char *help;
};

extern const struct key_entry keys_table[];
extern const int keys_table_len;

/* The request bound to key ch, looking in ctx first and then in the wider
 * contexts (edit -> grid -> main).  REQ_NONE if unbound. */
enum request keys_lookup(enum key_context ctx, int ch);
const struct key_entry *keys_entry(enum request r);
const char *keys_context_name(enum key_context ctx);
/* The key list as Markdown, for the README. */
void keys_print_markdown(FILE *f);

#endif
