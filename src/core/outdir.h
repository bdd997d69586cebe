/* outdir.h - output directories: one writer at a time (a lock held for the
 * whole run), and a directory replaced as a whole (written under a
 * temporary name beside it, then swapped into place), so that a crash at
 * any moment leaves the old directory or the new one, never a mix. */
#ifndef HRM_OUTDIR_H
#define HRM_OUTDIR_H

#include <stdbool.h>

/* An exclusive flock on DIR/.lock, which holds the owner's pid. */
struct dir_lock {
	int fd;       /* -1: not held */
	char *dir;    /* what was locked */
	bool created; /* dir did not exist before dir_lock made it */
};

/* Creates dir (and its parents) if missing and locks it.  Another process
 * holding the lock: -1 with "DIR: in use by another hrmscope (pid N)".  The
 * lock lasts until dir_unlock or the end of the process. */
int dir_lock(struct dir_lock *l, const char *dir, char **cause);
/* Releases the lock; with remove_if_created, a directory that dir_lock made
 * is removed again (when nothing but the lock file is in it). */
void dir_unlock(struct dir_lock *l, bool remove_if_created);

/* A directory written whole: dir_swap_begin makes DIR.tmp.PID.N beside dir
 * (exclusively; DIR is where a symlink at dir points), the caller writes
 * into d->tmp, and dir_swap_commit fsyncs the tree and puts it in dir's
 * place: atomically with renameat2(RENAME_EXCHANGE) where the file system
 * has it (else dir moves to DIR.old.PID.N first), then removes the old
 * one.  A leftover DIR.tmp.* or DIR.old.* is never read by anything. */
struct dir_swap {
	char *dir, *target, *tmp;
};
int dir_swap_begin(struct dir_swap *d, const char *dir, char **cause);
int dir_swap_commit(struct dir_swap *d, char **cause);
/* Removes the temporary tree (after a failure). */
void dir_swap_abort(struct dir_swap *d);

/* rm -rf path (never following symlinks); 0 or -1 with cause. */
int remove_tree(const char *path, char **cause);

/* mkdir -p path; 0 or -1 with cause. */
int make_dirs(const char *path, char **cause);

/* Whether dir holds anything but a lock file (false when it is missing). */
bool dir_has_entries(const char *dir);

#endif
