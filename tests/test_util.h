/* test_util.h - helpers shared by the test programs. */
#ifndef HRM_TEST_UTIL_H
#define HRM_TEST_UTIL_H

/* Removes path and, when it is a directory, everything below it (symlinks
 * are removed, never followed).  Missing paths are fine. */
void test_remove_tree(const char *path);

#endif
