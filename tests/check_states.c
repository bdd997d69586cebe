/* check_states.c - `hrmscope trace --states FILE.npz` end to end: the file
 * is read back here with libzip and the npy reader (not with the writer's
 * code), and every state in it is compared with the engine stepped one
 * module call at a time through the API; --states-every, the size limit and
 * the bad inputs. */
#include "config.h"
#include "io/checkpoint.h"
#include "io/npy.h"
#include "model/engine.h"
#include "model/hrm.h"
#include "puzzles/maze.h"
#include "core/rng.h"
#include "core/util.h"

#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#define MODEL FIXTURES_DIR "/models/tiny_maze"
#define SEGMENTS 3
#define STEPS (SEGMENTS * 2 * 3) /* tiny_maze: H_cycles 2, L_cycles 2 */

/* One array of an npz, read with libzip (asserted to exist). */
static void npz_get(const char *path, const char *name, struct npy_array *out)
{
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
	ck_assert_msg(z != NULL, "%s: libzip error %d", path, err);
	char entry[64];
	snprintf(entry, sizeof entry, "%s.npy", name);
	zip_stat_t st;
	ck_assert_msg(zip_stat(z, entry, 0, &st) == 0, "%s: no %s", path, entry);
	zip_file_t *f = zip_fopen(z, entry, 0);
	ck_assert_ptr_nonnull(f);
	char *buf = xmalloc(st.size + 1);
	ck_assert_int_eq(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
	zip_fclose(f);
	zip_close(z);
	char *cause = NULL;
	ck_assert_msg(npy_read_mem(buf, st.size, entry, out, &cause) == 0, "%s", cause);
	free(buf);
}

static int64_t npz_entries(const char *path)
{
	int err = 0;
	zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
	ck_assert_ptr_nonnull(z);
	int64_t n = zip_get_num_entries(z, 0);
	zip_close(z);
	return n;
}

static void write_maze(const char *path, struct puzzle *p)
{
	struct hrm_rng rng;
	struct maze_gen_opts o = { .side = 5, .min_path = 2 };
	char *cause = NULL;
	hrm_rng_seed(&rng, 9);
	ck_assert_msg(maze_generate(&rng, &o, p, &cause) == 0, "%s", cause);
	char *text = maze_format(p, p->input);
	ck_assert(write_file_atomic(path, text, strlen(text), &cause) == 0);
	free(text);
}

static float max_diff(const float *a, const float *b, size_t n)
{
	float m = 0;
	for (size_t i = 0; i < n; i++)
		m = fmaxf(m, fabsf(a[i] - b[i]));
	return m;
}

/* The file against the engine: `every` as given to --states-every. */
static void check_file(const char *npz, const struct puzzle *p, int every)
{
	struct hrm_model m;
	char *cause = NULL;
	ck_assert_msg(hrm_model_load(&m, MODEL, &cause) == 0, "%s", cause);
	struct hrm_engine *e = hrm_engine_new(&m, 1, 25, &cause);
	ck_assert_msg(e != NULL, "%s", cause);
	int32_t pid = 0;
	ck_assert(hrm_engine_set_inputs(e, p->input, &pid, &cause) == 0);
	hrm_engine_reset(e, -1);
	int T = hrm_engine_T(e), d = m.cfg.hidden_size;
	size_t n = (size_t)T * d;
	struct npy_array zH, zL, zH0, step_of, kind, seg, lstep, rel, qh, pred, in, lab, pre;
	npz_get(npz, "z_H", &zH);
	npz_get(npz, "z_L", &zL);
	npz_get(npz, "z_H_init", &zH0);
	npz_get(npz, "state_step", &step_of);
	npz_get(npz, "step_kind", &kind);
	npz_get(npz, "step_segment", &seg);
	npz_get(npz, "step_l_step", &lstep);
	npz_get(npz, "step_res_rel", &rel);
	npz_get(npz, "seg_q_halt", &qh);
	npz_get(npz, "seg_pred", &pred);
	npz_get(npz, "inputs", &in);
	npz_get(npz, "labels", &lab);
	npz_get(npz, "prefix_len", &pre);
	int N = STEPS / every;
	ck_assert_int_eq(zH.dtype, NPY_DT_F4);
	ck_assert_int_eq(zH.ndim, 3);
	ck_assert_int_eq(zH.shape[0], N);
	ck_assert_int_eq(zH.shape[1], T);
	ck_assert_int_eq(zH.shape[2], d);
	ck_assert_int_eq(zL.shape[0], N);
	ck_assert_int_eq(zH0.ndim, 2);
	ck_assert_int_eq(step_of.shape[0], N);
	ck_assert_int_eq(kind.dtype, NPY_DT_U1);
	ck_assert_int_eq(kind.shape[0], STEPS);
	ck_assert_int_eq(qh.shape[0], SEGMENTS);
	ck_assert_int_eq(pred.ndim, 2);
	ck_assert_int_eq(pred.shape[1], 25);
	ck_assert_int_eq(pre.ndim, 0);
	ck_assert_int_eq(((int32_t *)pre.data)[0], T - 25);
	ck_assert_mem_eq(in.data, p->input, 25 * sizeof(int32_t));
	ck_assert_mem_eq(lab.data, p->label, 25 * sizeof(int32_t));
	ck_assert_float_eq_tol(max_diff(zH0.data, hrm_engine_zH(e), n), 0, 1e-6);
	int kept = 0, segs = 0;
	for (int i = 0; i < STEPS; i++) {
		struct hrm_cursor c = hrm_engine_cursor(e);
		bool is_h = c.l_step == m.cfg.L_cycles;
		float *old = xmalloc(n * sizeof *old);
		memcpy(old, is_h ? hrm_engine_zH(e) : hrm_engine_zL(e), n * sizeof *old);
		hrm_engine_step(e, HRM_GRAIN_MODULE);
		ck_assert_int_eq(((uint8_t *)kind.data)[i], is_h);
		ck_assert_int_eq(((int32_t *)seg.data)[i], c.segment);
		ck_assert_int_eq(((int32_t *)lstep.data)[i], is_h ? -1 : c.l_step);
		/* the relative residual, from the states here */
		double dd = 0, oo = 0;
		const float *now = is_h ? hrm_engine_zH(e) : hrm_engine_zL(e);
		for (size_t k = 0; k < n; k++) {
			dd += ((double)now[k] - old[k]) * ((double)now[k] - old[k]);
			oo += (double)old[k] * old[k];
		}
		free(old);
		ck_assert_double_eq_tol(((double *)rel.data)[i], sqrt(dd / oo), 1e-5 * sqrt(dd / oo) + 1e-9);
		if ((i + 1) % every == 0) {
			ck_assert_int_eq(((int32_t *)step_of.data)[kept], i);
			const float *fh = (const float *)zH.data + (size_t)kept * n;
			const float *fl = (const float *)zL.data + (size_t)kept * n;
			ck_assert_float_eq_tol(max_diff(fh, hrm_engine_zH(e), n), 0, 1e-5);
			ck_assert_float_eq_tol(max_diff(fl, hrm_engine_zL(e), n), 0, 1e-5);
			kept++;
		}
		if (hrm_engine_cursor(e).segment > segs) { /* a segment ended */
			ck_assert_float_eq_tol(((float *)qh.data)[segs], hrm_engine_q(e)[0], 1e-5);
			ck_assert_mem_eq((int32_t *)pred.data + segs * 25, hrm_engine_pred(e), 25 * sizeof(int32_t));
			segs++;
		}
	}
	ck_assert_int_eq(kept, N);
	ck_assert_int_eq(segs, SEGMENTS);
	struct npy_array *all[] = { &zH, &zL, &zH0, &step_of, &kind, &seg, &lstep, &rel, &qh, &pred, &in, &lab, &pre };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		npy_free(all[i]);
	hrm_engine_free(e);
	hrm_model_free(&m);
}

START_TEST(test_states_every_step)
{
	struct puzzle p;
	char *maze = test_path("maze.txt"), *npz = test_path("states.npz");
	write_maze(maze, &p);
	struct test_output r = test_hrmscope("trace --model '%s' --puzzle '%s' --segments %d --states '%s'", MODEL, maze,
					     SEGMENTS, npz);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	/* the size said first: 18 states of 26 x 16 floats, twice */
	ck_assert_msg(strstr(r.err, "18 of 18 steps' z_H and z_L (26 x 16 each), about 0.1 MB") != NULL, "%s", r.err);
	test_output_free(&r);
	ck_assert_int_eq(npz_entries(npz), 24);
	check_file(npz, &p, 1);
	free(maze);
	free(npz);
}
END_TEST

START_TEST(test_states_thinned)
{
	struct puzzle p;
	char *maze = test_path("maze3.txt"), *npz = test_path("thin.npz");
	write_maze(maze, &p);
	struct test_output r = test_hrmscope("trace --model '%s' --puzzle '%s' --segments %d --states '%s' "
					     "--states-every 3 --format csv", MODEL, maze, SEGMENTS, npz);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "6 of 18 steps'"));
	test_output_free(&r);
	check_file(npz, &p, 3); /* every third step: the H-steps */
	free(maze);
	free(npz);
}
END_TEST

START_TEST(test_states_refused)
{
	char *npz = test_path("big.npz");
	/* 2000 segments x 6 steps x 2 x 26 x 16 floats: about 38 MB, over a 10 MB limit */
	struct test_output r = test_hrmscope("trace --model '%s' --seq-len 25 --segments 2000 --states '%s' "
					     "--states-limit 10", MODEL, npz);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "over the limit of 10 MB: thin them with --states-every K") != NULL, "%s", r.err);
	ck_assert_str_eq(r.out, ""); /* refused before the run */
	struct stat st;
	ck_assert_int_ne(stat(npz, &st), 0);
	test_output_free(&r);
	/* thinned under the limit it runs (2000 of 12000 states kept) */
	r = test_hrmscope("trace --model '%s' --seq-len 25 --segments 2000 --states '%s' --states-limit 10 "
			  "--states-every 6 --format csv", MODEL, npz);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "2000 of 12000 steps'"));
	struct npy_array zh;
	npz_get(npz, "z_H", &zh);
	ck_assert_int_eq(zh.shape[0], 2000);
	npy_free(&zh);
	test_output_free(&r);
	free(npz);
}
END_TEST

START_TEST(test_states_bad)
{
	/* a folder that does not exist: one line naming the file, nothing left */
	struct test_output r = test_hrmscope("trace --model '%s' --seq-len 25 --segments 1 --states '%s/no/such/s.npz'",
					     MODEL, test_tmpdir());
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no/such/s.npz"));
	test_output_free(&r);
	r = test_hrmscope("trace --model '%s' --seq-len 25 --states-every 2", MODEL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--states-every and --states-limit go with --states FILE"));
	test_output_free(&r);
	r = test_hrmscope("trace --model '%s' --seq-len 25 --states x.npz --states-every 0", MODEL);
	ck_assert_int_eq(r.rc, 2);
	test_output_free(&r);
}
END_TEST

static Suite *states_suite(void)
{
	Suite *s = suite_create("states");
	TCase *t = tcase_create("trace --states");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_states_every_step);
	tcase_add_test(t, test_states_thinned);
	tcase_add_test(t, test_states_refused);
	tcase_add_test(t, test_states_bad);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return test_main(states_suite(), "check_states");
}
