/* edit.h - editing the puzzle on screen (edit.c): e, then the keys of the
 * edit context; Enter re-runs the edited puzzle, Esc drops the edits. */
#ifndef HRM_UI_EDIT_H
#define HRM_UI_EDIT_H

#include "ui/keys.h"
#include "ui/tui.h"

#include <stdbool.h>

void edit_begin(struct tui *t);
int edit_key(struct tui *t, enum request r, int ch);
void edit_finish(struct tui *t, bool apply);

#endif
