/* record.h - --record FILE.cast: the session as an asciinema v2 file.
 *
 * After each screen update the recorder reads back what curses put on the
 * screen and, when it changed, writes it as one output event (a full
 * repaint with colours), so the file plays in any asciinema v2 player. */
#ifndef HRM_UI_RECORD_H
#define HRM_UI_RECORD_H

struct recorder;

struct recorder *record_open(const char *path, char **cause);
/* Call after doupdate(). */
void record_frame(struct recorder *r);
/* Returns 0, or -1 with *cause if the file could not be written. */
int record_close(struct recorder *r, char **cause);

#endif
