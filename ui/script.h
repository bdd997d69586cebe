/* script.h - --keys "l l s r q": scripted input for demos and tests.
 *
 * Words separated by spaces: a single character is that key; names are
 * space, esc, enter, tab, left, right, up, down, home, end, backspace, f1,
 * ^X (control-X); `text:WORDS` types the characters of WORDS; `sleep:MS`
 * pauses.  Each key is given once the previous one's computation is done
 * (and --keys-delay has passed), so a script sees every result. */
#ifndef HRM_UI_SCRIPT_H
#define HRM_UI_SCRIPT_H

#include <stdbool.h>

#define SCRIPT_SLEEP_BASE (-1000) /* keys below this encode a sleep */

struct script;

struct script *script_parse(const char *spec, int delay_ms, char **cause);
void script_free(struct script *s);
bool script_done(const struct script *s);
/* The next key if it is due at time now_ms with the UI idle, else -1. */
int script_next(struct script *s, double now_ms, bool idle);
/* Milliseconds until the next key may be due (for poll), -1 if done. */
int script_wait_ms(const struct script *s, double now_ms);

#endif
