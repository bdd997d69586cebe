/* outdir.c - output directories: the run's lock, and directories replaced
 * as a whole (see outdir.h). */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE; nftw */
#include "core/outdir.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int make_dirs(const char *path, char **cause)
{
	char *p = xstrdup(path);
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		struct stat st;
		if (mkdir(p, 0777) != 0 && (errno != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
			set_cause(cause, "%s: cannot create directory: %s", p, strerror(errno == EEXIST ? ENOTDIR : errno));
			free(p);
			return -1;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	return 0;
}

int dir_lock(struct dir_lock *l, const char *dir, char **cause)
{
	struct stat st;
	l->fd = -1;
	l->dir = NULL;
	l->created = lstat(dir, &st) != 0;
	if (make_dirs(dir, cause) != 0)
		return -1;
	char *path = path_join(dir, ".lock");
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
	free(path);
	if (fd < 0)
		return set_cause(cause, "%s: cannot create its lock file .lock: %s", dir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char buf[32] = {0};
		ssize_t n = e == EWOULDBLOCK ? pread(fd, buf, sizeof buf - 1, 0) : -1;
		long pid = n > 0 ? atol(buf) : 0;
		close(fd);
		if (e != EWOULDBLOCK)
			return set_cause(cause, "%s: cannot lock .lock: %s", dir, strerror(e));
		if (pid > 0)
			return set_cause(cause, "%s: in use by another hrmscope (pid %ld)", dir, pid);
		return set_cause(cause, "%s: in use by another hrmscope", dir);
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		int e = errno;
		close(fd);
		return set_cause(cause, "%s: cannot write its lock file .lock: %s", dir, strerror(e));
	}
	l->fd = fd;
	l->dir = xstrdup(dir);
	return 0;
}

void dir_unlock(struct dir_lock *l, bool remove_if_created)
{
	if (l->fd < 0)
		return;
	if (remove_if_created && l->created) {
		char *path = path_join(l->dir, ".lock");
		unlink(path);
		free(path);
		rmdir(l->dir);
	}
	close(l->fd);
	free(l->dir);
	l->fd = -1;
	l->dir = NULL;
}

bool dir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool any = false;
	struct dirent *e;
	while (!any && (e = readdir(d)) != NULL)
		any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && strcmp(e->d_name, ".lock") != 0;
	closedir(d);
	return any;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 ? errno : 0;
}

int remove_tree(const char *path, char **cause)
{
	errno = 0;
	int rc = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	if (rc != 0)
		return set_cause(cause, "%s: cannot remove: %s", path, strerror(rc > 0 ? rc : errno));
	return 0;
}

static int sync_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag != FTW_D && flag != FTW_DP)
		return 0; /* files were fsync'd as they were written */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int rc = fsync(fd) != 0 ? errno : 0;
	close(fd);
	return rc;
}

/* The folder holding path (for its fsync): malloc'd. */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	char *p = xstrdup(path);
	p[slash - path] = '\0';
	return p;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int dir_swap_begin(struct dir_swap *d, const char *dir, char **cause)
{
	static unsigned counter;
	struct stat st;
	memset(d, 0, sizeof *d);
	char *target = NULL;
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
		target = realpath(dir, NULL);
	if (target == NULL)
		target = xstrdup(dir);
	char *parent = parent_of(target);
	int rc = make_dirs(parent, cause);
	free(parent);
	if (rc != 0) {
		free(target);
		return -1;
	}
	size_t n = strlen(target) + 48;
	char *tmp = xmalloc(n);
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(tmp, n, "%s.tmp.%ld.%u", target, (long)getpid(), counter++);
		if (mkdir(tmp, 0777) == 0) {
			d->dir = xstrdup(dir);
			d->target = target;
			d->tmp = tmp;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	set_cause(cause, "%s: cannot create directory: %s", tmp, strerror(errno));
	free(tmp);
	free(target);
	return -1;
}

static void swap_free(struct dir_swap *d)
{
	free(d->dir);
	free(d->target);
	free(d->tmp);
	memset(d, 0, sizeof *d);
}

void dir_swap_abort(struct dir_swap *d)
{
	if (d->tmp != NULL)
		remove_tree(d->tmp, NULL);
	swap_free(d);
}

/* The old directory moved aside, the new one renamed in: the fallback where
 * the file system cannot exchange two names.  *old gets the old one. */
static int move_aside(struct dir_swap *d, char **old, char **cause)
{
	size_t n = strlen(d->target) + 48;
	*old = xmalloc(n);
	struct stat st;
	for (unsigned k = 0; k < 100; k++) {
		snprintf(*old, n, "%s.old.%ld.%u", d->target, (long)getpid(), k);
		if (lstat(*old, &st) != 0)
			break;
	}
	if (rename(d->target, *old) != 0)
		return set_cause(cause, "%s: cannot move the old one aside: %s", d->dir, strerror(errno));
	crash_point();
	if (rename(d->tmp, d->target) != 0) {
		set_cause(cause, "%s: cannot rename into place: %s", d->dir, strerror(errno));
		rename(*old, d->target);
		return -1;
	}
	return 0;
}

int dir_swap_commit(struct dir_swap *d, char **cause)
{
	struct stat st;
	char *old = NULL;
	int rc = nftw(d->tmp, sync_one, 16, FTW_PHYS);
	if (rc != 0) {
		set_cause(cause, "%s: write failed: %s", d->dir, strerror(rc > 0 ? rc : errno));
		dir_swap_abort(d);
		return -1;
	}
	if (lstat(d->target, &st) != 0) {
		if (rename(d->tmp, d->target) != 0) {
			set_cause(cause, "%s: cannot rename into place: %s", d->dir, strerror(errno));
			dir_swap_abort(d);
			return -1;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		set_cause(cause, "%s: cannot create directory: %s", d->dir, strerror(ENOTDIR));
		dir_swap_abort(d);
		return -1;
	} else {
#ifdef RENAME_EXCHANGE
		if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->target, RENAME_EXCHANGE) == 0) {
			old = d->tmp; /* the old directory is under the temporary name now */
			d->tmp = NULL;
		} else if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
			set_cause(cause, "%s: cannot rename into place: %s", d->dir, strerror(errno));
			dir_swap_abort(d);
			return -1;
		}
#endif
		if (old == NULL && move_aside(d, &old, cause) != 0) {
			free(old);
			dir_swap_abort(d);
			return -1;
		}
	}
	crash_point();
	char *parent = parent_of(d->target);
	sync_dir(parent);
	free(parent);
	if (old != NULL)
		remove_tree(old, NULL); /* a leftover DIR.old.* / DIR.tmp.* is never read */
	free(old);
	free(d->tmp);
	d->tmp = NULL;
	swap_free(d);
	return 0;
}
