#!/usr/bin/env python3
"""The table of `make bench` (bench/run_bench.sh): reads the JSON lines the
benchmark programs printed (bench/bench_forward, bench/bench_train,
tools/bench_torch.py, tools/tui_latency.py), prints one table and writes it with the run's
circumstances to bench/RESULTS.md.

    bench_report.py --results FILE.jsonl --meta KEY=VALUE ... --out RESULTS.md
    bench_report.py --results FILE.jsonl --trm-splice RESULTS.md

The second form (bench/run_trm_bench.sh --splice, `make bench-trm`) writes
only the TRM section (issue 20) into an existing RESULTS.md: in place of its
old TRM section, or before its "FLOPs counted" section; nothing else in the
file changes.
"""

import argparse
import json
import sys

sys.dont_write_bytecode = True

OP_NAMES = {"qkv": "qkv_proj", "attn_qk": "attention q k^T (per head)", "attn_pv": "attention p v (per head)",
            "o": "o_proj", "gate_up": "gate_up_proj", "down": "down_proj",
            "t_gate_up": "mlp_t gate_up_proj (over positions)", "t_down": "mlp_t down_proj (over positions)"}

TRM_HEADING = "## TRM (issue 20): forward and training against PyTorch"
FLOPS_HEADING = "## FLOPs counted"


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def ceiling(rows, fwd):
    """GFLOP/s a block would reach if every product ran at the sgemm speed
    measured at its own shape: flops / sum(flops_op / gflops_op)."""
    label = fwd["label"]
    t = 0.0
    f = 0.0
    for op in fwd["ops"]:
        s = find(rows, kind="sgemm", label=label, op=op["op"])
        if s is None:
            return None
        t += op["flops"] / (s["gflops"] * 1e9)
        f += op["flops"]
    return f / t * 1e-9


def fmt_ms(s):
    return "%.1f ms" % (s * 1e3) if s < 10 else "%.2f s" % s


def fmt_s(s):
    return "%.3f s" % s if s < 100 else "%.0f s" % s


def speedup(c, t):
    """PyTorch time / hrmscope time (> 1: hrmscope faster)."""
    if c is None or t is None or c <= 0:
        return ""
    return "%.2fx" % (t / c)


def status(ok):
    return "yes" if ok else "**no**"


class Table:
    HEAD = ("measurement", "hrmscope", "PyTorch", "speedup", "target", "met")

    def __init__(self, head=None):
        self.head = head or self.HEAD
        self.rows = []

    def add(self, what, c="", t="", ratio="", target="", met=""):
        self.rows.append((what, c, t, ratio, target, met))

    def section(self, title):
        self.rows.append(("**%s**" % title, "", "", "", "", ""))

    def markdown(self):
        head = self.head
        out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for r in self.rows:
            out.append("| " + " | ".join(r) + " |")
        return "\n".join(out)


def forward_rows(tab, rows, label, title, seg_target, step_target=None,
                 step_names=(("l_step", "L-step"), ("h_step", "H-step"))):
    c = find(rows, kind="forward", impl="hrmscope", label=label)
    t = find(rows, kind="forward", impl="torch", label=label)
    if c is None:
        tab.add(title + ": not measured")
        return None
    tab.section("%s (B = %d, T = %d; hrmscope %d L / %d H / %d segment samples, PyTorch %d / %d / %d)"
                % (title, c["B"], c["T"], c["l_step_n"], c["h_step_n"], c["segment_n"],
                   t["l_step_n"] if t else 0, t["h_step_n"] if t else 0, t["segment_n"] if t else 0))
    for key, name in step_names:
        ct, tt = c[key + "_s"], t[key + "_s"] if t else None
        target = met = ""
        if key == "l_step" and step_target:
            target, met = "<= %.2f s" % step_target, status(ct <= step_target)
        flops = c["flops_" + key]
        tab.add("%s (%.2f GFLOP)" % (name, flops * 1e-9), fmt_ms(ct), fmt_ms(tt) if tt else "",
                speedup(ct, tt), target, met)
    cs, ts = c["segment_s"], t["segment_s"] if t else None
    r_target, r_met = "", ""
    if seg_target:
        r_target = ">= %gx" % seg_target
        r_met = status(ts is not None and ts / cs >= seg_target)
    tab.add("segment (%.1f GFLOP)" % (c["flops_segment"] * 1e-9), fmt_s(cs), fmt_s(ts) if ts else "",
            speedup(cs, ts), r_target, r_met)
    ceil = ceiling(rows, c)
    g_c = c["flops_segment"] / cs * 1e-9
    g_t = c["flops_segment"] / ts * 1e-9 if ts else None
    if ceil:
        tab.add("segment GFLOP/s (%% of the %.1f GFLOP/s sgemm ceiling at these shapes)" % ceil,
                "%.1f (%.0f %%)" % (g_c, 100 * g_c / ceil),
                "%.1f (%.0f %%)" % (g_t, 100 * g_t / ceil) if g_t else "", "",
                ">= 75 %" if label.startswith("maze") else "",
                status(g_c / ceil >= 0.75) if label.startswith("maze") else "")
    else:
        tab.add("segment GFLOP/s (matrix products and attention)", "%.1f" % g_c, "%.1f" % g_t if g_t else "",
                speedup(cs, ts))
    return c, t


TUI_BOUND_MS = 50  # issue 6: keys handled, screen redrawn within 50 ms


def tui_rows(tab, rows):
    """tools/tui_latency.py: key c -> both chart titles redrawn, as seen
    through a pty; met on the p95 with no press lost."""
    sess = find(rows, kind="tui_session", label="tui_maze")
    idle = find(rows, kind="tui_latency", label="tui_maze_idle")
    tab.section("TUI responsiveness (tools/tui_latency.py: key c through a %sx%s pty until both chart titles "
                "show the new metric; median / p95 / max)"
                % ((idle or sess or {}).get("cols", "?"), (idle or sess or {}).get("rows", "?")))
    for label, title in (("tui_maze_idle", "TUI key -> redraw, idle"),
                         ("tui_maze_busy", "TUI key -> redraw, while computing (27M maze)"),
                         ("tui_maze_resize", "TUI key -> redraw, right after a resize storm")):
        r = find(rows, kind="tui_latency", label=label)
        if r is None:
            tab.add(title + ": not measured", "", "", "", "<= %d ms" % TUI_BOUND_MS, status(False))
            continue
        what = "%s (%d presses" % (title, r["presses"])
        if r["phase"] == "busy":
            what += ", all while computing" if r["busy"] == r["presses"] else \
                ", %d while computing: the figures are theirs" % r["busy"]
        elif r["phase"] == "resize":
            what += " after %d window sizes %s; %s" % (r["resizes"], "while computing" if r["busy_at_storm"]
                                                       else "idle", "alive" if r["alive"] else "**dead**")
        if r["timeouts"]:
            what += "; **%d lost** (no redraw within the timeout)" % r["timeouts"]
        what += ")"
        if r["n"]:
            cell = "%.1f / %.1f / %.1f ms" % (r["median_ms"], r["p95_ms"], r["max_ms"])
        else:
            cell = "no press counted"
        ok = r["n"] > 0 and r["timeouts"] == 0 and r["p95_ms"] <= TUI_BOUND_MS and r.get("alive", True)
        tab.add(what, cell, "", "", "<= %d ms (p95)" % TUI_BOUND_MS, status(ok))
    if sess:
        q = "q -> terminal given back %s, process gone %s" % (
            "%.0f ms" % sess["quit_screen_ms"] if sess.get("quit_screen_ms") is not None else "never",
            "%.2f s" % sess["quit_s"] if sess.get("quit_s") is not None else "never")
        tab.add("TUI session: first full screen, quit%s, exit status"
                % (" (while computing)" if sess.get("busy_at_quit") else ""),
                "%s s; %s; %s" % (sess.get("startup_s"), q, sess.get("exit_status")), "", "", "exit 0",
                status(sess.get("exit_status") == 0))


def build(rows, meta):
    tab = Table()
    notes = []
    th = int(meta.get("threads", "0"))
    tab.section("OpenBLAS sgemm ceiling, %d threads (M x K x N, row-major, the engine's layouts)" % th)
    for label, name in (("square2048", "2048 x 2048 x 2048"),):
        s = find(rows, kind="sgemm", label=label)
        if s:
            tab.add("sgemm %s GFLOP/s" % name, "%.1f" % s["gflops"])
    c1 = find(rows, kind="sgemm", label="square1000", op="square", impl=None)
    t1 = find(rows, kind="sgemm", label="square1000", impl="torch")
    if c1:
        tab.add("sgemm 1000 x 1000 x 1000 GFLOP/s (cblas_sgemm vs torch.mm)", "%.1f" % c1["gflops"],
                "%.1f" % t1["gflops"] if t1 else "", "%.2fx" % (c1["gflops"] / t1["gflops"]) if t1 else "")
    for op in ("qkv", "gate_up", "down", "o", "attn_qk", "attn_pv"):
        s = find(rows, kind="sgemm", label="maze_b1", op=op)
        if s:
            tab.add("sgemm %d x %d x %d GFLOP/s (%s)" % (s["M"], s["K"], s["N"], OP_NAMES[op]),
                    "%.1f" % s["gflops"])

    fw = {}
    fw["maze_b1"] = forward_rows(tab, rows, "maze_b1", "Maze, hrm_v1 27M, stepping", 1.2, 0.25)
    fw["maze_b8"] = forward_rows(tab, rows, "maze_b8", "Maze, hrm_v1 27M, eval", 1.2)
    fw["sudoku_b1"] = forward_rows(tab, rows, "sudoku_b1", "Sudoku, hrm_v1 27M, stepping", 3)
    active = find(rows, kind="forward", impl="torch", label="sudoku_b1_omp_active")
    if active and fw["sudoku_b1"]:
        c = fw["sudoku_b1"][0]
        tab.add("L-step, PyTorch with libgomp's default active waiting (OMP_WAIT_POLICY unset)", "",
                fmt_ms(active["l_step_s"]), speedup(c["l_step_s"], active["l_step_s"]))
    fw["sudoku_b8"] = forward_rows(tab, rows, "sudoku_b8", "Sudoku, hrm_v1 27M, eval", 3)

    tab.section("Peak resident memory (ru_maxrss of a child process)")
    c = find(rows, kind="forward", impl="hrmscope", label="maze_b1")
    if c:
        mb = c["maxrss_kb"] / 1024
        tab.add("maze B = 1, %d segments stepped, every z_H/z_L kept as fp32 (%.0f MB of history; "
                "%.0f MB before it: model, loader, engine)" % (c["segments"], c["history_bytes"] / 2 ** 20,
                                                               c["setup_maxrss_kb"] / 1024),
                "%.0f MB" % mb, "", "", "<= 600 MB", status(mb <= 600))
    c = find(rows, kind="forward", impl="hrmscope", label="maze_b8")
    t = find(rows, kind="forward", impl="torch", label="maze_b8")
    if c:
        tab.add("maze eval B = 8 (no history; later segments allocate nothing)", "%.0f MB" % (c["maxrss_kb"] / 1024),
                "%.0f MB" % (t["maxrss_kb"] / 1024) if t else "")

    tui_rows(tab, rows)

    tab.section("Training hrm_maze_small (d 64, 2+2 layers, 2/2 cycles, B 32, AdamW), optimiser steps/s")
    worst_loss = 0.0
    for n in (7, 11):
        for grad in ("one_step", "full"):
            for thr in (1, 2):
                label = "maze%d_%s" % (n, grad)
                c = find(rows, kind="train", impl="hrmscope", label=label, threads=thr)
                t = find(rows, kind="train", impl="torch", label=label, threads=thr)
                if c is None:
                    continue
                if t:
                    worst_loss = max(worst_loss, abs(c["first_loss"] - t["first_loss"]) / abs(t["first_loss"]))
                tab.add("%dx%d (seq %d), %s gradient, %d thread%s" % (n, n, c["S"], grad.replace("_", "-"), thr,
                                                                       "s" if thr > 1 else ""),
                        "%.2f" % c["steps_per_s"], "%.2f" % t["steps_per_s"] if t else "",
                        "%.2fx" % (c["steps_per_s"] / t["steps_per_s"]) if t else "", ">= 3x",
                        status(t is not None and c["steps_per_s"] / t["steps_per_s"] >= 3))

    # the two sides compute the same thing
    diffs = []
    for label in ("maze_b1", "maze_b8", "sudoku_b1", "sudoku_b8"):
        c = find(rows, kind="forward", impl="hrmscope", label=label)
        t = find(rows, kind="forward", impl="torch", label=label)
        if c and t:
            diffs.append(abs(c["checksum"][1] - t["checksum"][1]) / abs(t["checksum"][1]))
    if diffs:
        notes.append("Same work on both sides: the sum of squares of z_H (batch row 0) after the first "
                     "segment agrees between hrmscope and PyTorch to %.1e (relative) in every forward "
                     "configuration, and the first training step's loss to %.1e."
                     % (max(diffs), worst_loss))
    return tab, fw, notes


def onednn_ceiling(rows, fwd):
    """The oneDNN bf16 ceiling of one segment: the seconds its products would
    take at the GFLOP/s oneDNN's bf16 primitive reached at each one's shape
    (bench_forward onednn), and those products' FLOPs.  A segment runs
    H_cycles x (L_cycles x L_layers + H_layers) blocks; each block issues
    every op `calls` times, so op's share is flops_op x blocks and takes
    flops_op x blocks / GFLOP/s_op; the heads are left out of both sums."""
    blocks = fwd["H_cycles"] * (fwd["L_cycles"] * fwd["L_layers"] + fwd["H_layers"])
    t = f = 0.0
    per_op = []
    for op in fwd["ops"]:
        s = find(rows, kind="onednn_bf16", label="maze_b1", op=op["op"])
        if s is None:
            return None
        t += op["flops"] * blocks / (s["gflops"] * 1e9)
        f += op["flops"] * blocks
        per_op.append(s)
    return t, f, per_op


def passed(ok):
    return "PASS" if ok else "**MISS**"


def ratio_row(tab, what, num, den, target, fmt, unit_ratio="x"):
    """num and den are (figure, text); the ratio num/den against target."""
    if num is None or den is None:
        tab.add(what, num[1] if num else "not measured", den[1] if den else "not measured", "n/a",
                ">= %g%s" % (target, unit_ratio), "n/a")
        return
    r = num[0] / den[0]
    tab.add(what, num[1], den[1], fmt % r, ">= %g%s" % (target, unit_ratio), passed(r >= target))


def bf16_table(rows, meta):
    """Issue 19's targets: every row a ratio of two figures of this run."""
    tab = Table(("measurement", "measured", "baseline", "ratio", "target", "met"))
    notes = []
    env = find(rows, kind="openblas_env") or {}
    tab.section("OpenBLAS sgemm ceiling, 2048 x 2048 x 2048, %s threads" % meta.get("threads", "?"))
    s_env = find(rows, kind="sgemm", label="square2048")
    s_auto = find(rows, kind="sgemm", label="square2048_auto")
    if s_env:
        tab.add("as this environment runs it (OPENBLAS_CORETYPE=%s, OPENBLAS_L2_SIZE=%s): kernel %s, GFLOP/s"
                % (env.get("coretype") or "unset", env.get("l2_size") or "unset", s_env.get("corename", "?")),
                "%.1f" % s_env["gflops"])
    if s_auto:
        tab.add("as the machine would choose (both unset in this command alone): kernel %s "
                "(OPENBLAS_VERBOSE=2: Core: %s), GFLOP/s"
                % (s_auto.get("corename", "?"), env.get("auto_core_verbose") or "not printed"),
                "%.1f" % s_auto["gflops"], "%.1f" % s_env["gflops"] if s_env else "",
                "%.2fx" % (s_auto["gflops"] / s_env["gflops"]) if s_env else "")

    peak = {o: find(rows, kind="peak", op=o) for o in ("fma_ymm", "fma_zmm", "dpbf16_zmm")}
    if any(peak.values()):
        tab.section("One core's own rate (bench_forward peak: 16 independent accumulators, best of 3), GFLOP/s")
        def peak_cell(o):
            r = peak[o]
            return "not measured" if r is None else ("%.1f" % r["gflops"] if r["supported"] else "not on this CPU")
        tab.add("vfmadd231ps ymm (AVX2: OpenBLAS's Haswell kernels)", peak_cell("fma_ymm"))
        tab.add("vfmadd231ps zmm (AVX-512: oneDNN's fp32 brgemm)", peak_cell("fma_zmm"))
        b, z = peak["dpbf16_zmm"], peak["fma_zmm"]
        ok = b and z and b["supported"] and z["supported"]
        tab.add("vdpbf16ps zmm (AVX512-BF16: oneDNN's bf16 brgemm), against the zmm FMA", peak_cell("dpbf16_zmm"),
                peak_cell("fma_zmm") if z else "", "%.2fx" % (b["gflops"] / z["gflops"]) if ok else "n/a")
        notes.append("One core's rate: the bf16 targets assume a core whose vdpbf16ps does about twice the FLOPs "
                     "of its fp32 FMA; where the row above is near 1x or below, bf16 products cannot be much "
                     "faster than fp32 ones on this machine, whatever the engine does (the CPU or the virtual "
                     "machine decides it).")

    c32 = find(rows, kind="forward", impl="hrmscope", label="maze_b1")
    cbf = find(rows, kind="forward", impl="hrmscope", label="maze_b1_bf16")
    tbf = find(rows, kind="forward", impl="torch", label="maze_b1_bf16")
    tab.section("Maze, hrm_v1 27M, T 901, B 1, bf16 (hrmscope --dtype bf16: %s L / %s segment samples; "
                "PyTorch torch.bfloat16: %s / %s)"
                % (cbf["l_step_n"] if cbf else 0, cbf["segment_n"] if cbf else 0,
                   tbf["l_step_n"] if tbf else 0, tbf["segment_n"] if tbf else 0))
    # times: the ratio is baseline time / measured time, so pass them swapped
    ratio_row(tab, "L-step, bf16 vs hrmscope fp32 (time)",
              (1 / cbf["l_step_s"], fmt_ms(cbf["l_step_s"])) if cbf else None,
              (1 / c32["l_step_s"], fmt_ms(c32["l_step_s"])) if c32 else None, 2.5, "%.2fx")
    cob = find(rows, kind="forward", impl="hrmscope", label="maze_b1_openblas")
    if find(rows, kind="forward_skipped", label="maze_b1_openblas"):
        tab.add("L-step, bf16 vs hrmscope fp32 on the all-OpenBLAS path (HRMSCOPE_GEMM=openblas) (time)",
                fmt_ms(cbf["l_step_s"]) if cbf else "not measured", "n/a: this build does not read HRMSCOPE_GEMM",
                "n/a", ">= 2.5x", "n/a")
    else:
        ratio_row(tab, "L-step, bf16 vs hrmscope fp32 on the all-OpenBLAS path (HRMSCOPE_GEMM=openblas; the "
                  "fp32 the issue measured) (time)",
                  (1 / cbf["l_step_s"], fmt_ms(cbf["l_step_s"])) if cbf else None,
                  (1 / cob["l_step_s"], fmt_ms(cob["l_step_s"])) if cob else None, 2.5, "%.2fx")
    ratio_row(tab, "segment, bf16 vs PyTorch in torch.bfloat16 (time)",
              (1 / cbf["segment_s"], fmt_s(cbf["segment_s"])) if cbf else None,
              (1 / tbf["segment_s"], fmt_s(tbf["segment_s"])) if tbf else None, 2, "%.2fx")
    ceil = onednn_ceiling(rows, cbf) if cbf else None
    if cbf and ceil:
        t_ceil, f_ceil, per_op = ceil
        frac = t_ceil / cbf["segment_s"]
        tab.add("segment vs the oneDNN bf16 ceiling at the model's shapes: products' GFLOP/s in the measured "
                "segment time; ceiling %.2f s = the same products at oneDNN's own GFLOP/s (%.1f)"
                % (t_ceil, f_ceil / t_ceil * 1e-9),
                "%.1f GFLOP/s" % (f_ceil / cbf["segment_s"] * 1e-9), "%.1f GFLOP/s" % (f_ceil / t_ceil * 1e-9),
                "%.0f %%" % (100 * frac), ">= 75 %",
                passed(frac >= 0.75) if frac <= 1.0 else
                "**check**: above 100 %, the ceiling ran slower than the engine (a disturbed measurement)")
        notes.append("oneDNN bf16 primitive alone at the maze B = 1 shapes, GFLOP/s at %s threads, the ceiling "
                     "= the better of one product on an OpenMP team and one product per thread at once "
                     "(oneDNN %s): %s."
                     % (meta.get("threads", "?"), per_op[0].get("version", "?"),
                        ", ".join("%s %d x %d x %d: %.1f (team %.1f, per thread %.1f; %s)"
                                  % (OP_NAMES[o["op"]], o["M"], o["K"], o["N"], o["gflops"],
                                     o.get("gflops_team", o["gflops"]), o.get("gflops_parallel", o["gflops"]),
                                     o["impl"]) for o in per_op)))
    else:
        tab.add("segment vs the oneDNN bf16 ceiling at the model's shapes", "not measured", "", "n/a", ">= 75 %",
                "n/a")
    if cbf and tbf:
        diff = abs(cbf["checksum"][1] - tbf["checksum"][1]) / abs(tbf["checksum"][1])
        notes.append("bf16 on both sides: the sum of squares of z_H (batch row 0) after the first maze segment "
                     "differs by %.1e (relative) between hrmscope and PyTorch in torch.bfloat16 (different "
                     "accumulation orders and roundings; fp32 agrees far closer)." % diff)
    v = find(rows, kind="onednn_verbose", label="maze_b1_bf16")
    if v:
        impls = ", ".join("%s %s x%d" % (k.split(" ")[0], k.split(" ")[1], n) for k, n in sorted(v["impls"].items()))
        notes.append("oneDNN in the engine's bf16 segment (ONEDNN_VERBOSE=1, one maze segment): %s; %s."
                     % (impls or "no matmul executed", "; ".join(v["info"]) or "no info lines"))

    s32 = find(rows, kind="forward", impl="torch", label="sudoku_b1")
    sbf = find(rows, kind="forward", impl="hrmscope", label="sudoku_b1_bf16")
    tab.section("Sudoku, hrm_v1 27M, T 82, B 1 (hrmscope bf16 %s segment samples, PyTorch fp32 %s)"
                % (sbf["segment_n"] if sbf else 0, s32["segment_n"] if s32 else 0))
    ratio_row(tab, "segment, bf16 vs PyTorch fp32 (time)",
              (1 / sbf["segment_s"], fmt_s(sbf["segment_s"])) if sbf else None,
              (1 / s32["segment_s"], fmt_s(s32["segment_s"])) if s32 else None, 3, "%.2fx")

    tab.section("Training hrm_maze_small 11x11 (d 64, B 32, full gradient, 2 threads), optimiser steps/s")
    f32 = find(rows, kind="train", impl="hrmscope", label="maze11_full", threads=2)
    fbf = find(rows, kind="train", impl="hrmscope", label="maze11_full_bf16", threads=2)
    fob = find(rows, kind="train", impl="hrmscope", label="maze11_full_openblas", threads=2)
    ratio_row(tab, "bf16 vs fp32",
              (fbf["steps_per_s"], "%.2f" % fbf["steps_per_s"]) if fbf else None,
              (f32["steps_per_s"], "%.2f" % f32["steps_per_s"]) if f32 else None, 2, "%.2fx")
    skipped = find(rows, kind="train_skipped", label="maze11_full_openblas")
    if not skipped:
        ratio_row(tab, "bf16 vs fp32 on the all-OpenBLAS path (HRMSCOPE_GEMM=openblas; the fp32 the issue "
                  "measured)",
                  (fbf["steps_per_s"], "%.2f" % fbf["steps_per_s"]) if fbf else None,
                  (fob["steps_per_s"], "%.2f" % fob["steps_per_s"]) if fob else None, 2, "%.2fx")
    if skipped:
        tab.add("fp32 vs fp32 on the all-OpenBLAS path (HRMSCOPE_GEMM=openblas)",
                "%.2f" % f32["steps_per_s"] if f32 else "not measured", "n/a: %s" % skipped["why"], "n/a",
                ">= 1.5x", "n/a")
    else:
        ratio_row(tab, "fp32 vs fp32 on the all-OpenBLAS path (HRMSCOPE_GEMM=openblas)",
                  (f32["steps_per_s"], "%.2f" % f32["steps_per_s"]) if f32 else None,
                  (fob["steps_per_s"], "%.2f" % fob["steps_per_s"]) if fob else None, 1.5, "%.2fx")
    return tab, notes


HRM_FLOP_CONFIGS = (("maze_b1", "maze B=1"), ("maze_b8", "maze B=8"), ("sudoku_b1", "sudoku B=1"),
                    ("sudoku_b8", "sudoku B=8"))


def flop_table(rows, configs=HRM_FLOP_CONFIGS):
    out = ["| configuration | product | M x K x N | calls per block | GFLOP per block |", "|---|---|---|---|---|"]
    for label, name in configs:
        c = find(rows, kind="forward", impl="hrmscope", label=label)
        if c is None:
            continue
        for op in c["ops"]:
            out.append("| %s | %s | %d x %d x %d | %d | %.3f |" % (name, OP_NAMES[op["op"]], op["M"], op["K"],
                                                                  op["N"], op["calls"], op["flops"] * 1e-9))
        out.append("| %s | **block** | | | **%.3f** |" % (name, c["flops_block"] * 1e-9))
        out.append("| %s | L-step = %d blocks; H-step = %d blocks; segment = %d L + %d H steps + heads "
                   "(%.4f GFLOP) | | | **%.2f** per segment |"
                   % (name, c["L_layers"], c["H_layers"], c["H_cycles"] * c["L_cycles"], c["H_cycles"],
                      c["flops_heads"] * 1e-9, c["flops_segment"] * 1e-9))
    return "\n".join(out)


TRM_STEPS = (("l_step", "L-step (latent recursion z = net(z, y + x))"),
             ("h_step", "H-step (answer update y = net(y, z))"))


def trm_section(rows):
    """The TRM section (issue 20): markdown text, from its JSON lines
    (bench/run_trm_bench.sh); None when the run has none."""
    meta = find(rows, kind="trm_meta")
    if meta is None:
        return None
    models = {r["label"]: r for r in rows if r.get("kind") == "trm_model"}

    def params(label):
        r = models.get(label)
        return "%.2fM parameters" % (r["params"] / 1e6) if r and r.get("params") else "parameters not counted"

    tab = Table()
    for label, title in (
            ("trm_sudoku_b1", "Sudoku, trm_sudoku_mlp (mlp_t, pos none, H 3 / L 6, %s), fp32" % params("trm_sudoku")),
            ("trm_sudoku_b1_bf16", "Sudoku, trm_sudoku_mlp, bf16 (hrmscope --dtype bf16 vs torch.bfloat16)"),
            ("trm_maze_b1", "Maze 30x30, trm_maze (attention, RoPE, H 3 / L 4, %s), fp32" % params("trm_maze")),
            ("trm_maze_b1_bf16", "Maze 30x30, trm_maze, bf16 (hrmscope --dtype bf16 vs torch.bfloat16)")):
        forward_rows(tab, rows, label, title, None, step_names=TRM_STEPS)

    tab.section("Training trm_maze_small (d 64, 2 layers, H 3 / L 4, 16 prefix tokens, B 32, AdamW, "
                "last-cycle gradient), optimiser steps/s")
    loss_first = loss_last = 0.0
    trained = False
    for n in (7, 11):
        for thr in (1, 2):
            label = "trm_maze%d" % n
            c = find(rows, kind="train", impl="hrmscope", label=label, threads=thr)
            t = find(rows, kind="train", impl="torch", label=label, threads=thr)
            if c is None:
                tab.add("%dx%d, %d thread%s: not measured" % (n, n, thr, "s" if thr > 1 else ""))
                continue
            trained = True
            if t:
                loss_first = max(loss_first, abs(c["first_loss"] - t["first_loss"]) / abs(t["first_loss"]))
                loss_last = max(loss_last, abs(c["last_loss"] - t["last_loss"]) / abs(t["last_loss"]))
            tab.add("%dx%d (seq %d + 16 prefix; %s), %d thread%s"
                    % (n, n, c["S"], params("trm_small%d" % n), thr, "s" if thr > 1 else ""),
                    "%.2f" % c["steps_per_s"], "%.2f" % t["steps_per_s"] if t else "",
                    "%.2fx" % (c["steps_per_s"] / t["steps_per_s"]) if t else "")

    notes = []
    for labels, what in ((("trm_sudoku_b1", "trm_maze_b1"), "fp32"),
                         (("trm_sudoku_b1_bf16", "trm_maze_b1_bf16"), "bf16")):
        diffs = []
        for label in labels:
            c = find(rows, kind="forward", impl="hrmscope", label=label)
            t = find(rows, kind="forward", impl="torch", label=label)
            if c and t:
                diffs.append("%s %.1e" % (label.split("_")[1], abs(c["checksum"][1] - t["checksum"][1])
                                          / abs(t["checksum"][1])))
        if diffs:
            notes.append("Same work on both sides, %s: the sum of squares of y (z_H, batch row 0) after the first "
                         "segment differs between hrmscope and PyTorch by %s (relative)%s."
                         % (what, ", ".join(diffs), "" if what == "fp32" else
                            " (bf16 on both sides, with different accumulation orders and roundings)"))
    if trained:
        notes.append("Same training on both sides: the loss of the first step agrees to %.1e (relative) and "
                     "that of the last timed step, after every optimiser step of the run on both sides, to "
                     "%.1e, in every training row." % (loss_first, loss_last))

    md = [TRM_HEADING + "\n"]
    md.append("Written by `bench/run_trm_bench.sh` (part of `make bench`; alone: `make bench-trm`, which puts "
              "this section into bench/RESULTS.md and leaves the rest of the file as it was).\n")
    md.append("- date: %s; %s threads as above (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, torch.set_num_threads; "
              "PyTorch with OMP_WAIT_POLICY=PASSIVE); duration %s s"
              % (meta.get("date", "?"), meta.get("threads", "?"), meta.get("seconds", "?")))
    md.append("- load average (1/5/15 min): %s at the start, %s at the end" % (meta.get("load_start", "?"),
                                                                           meta.get("load_end", "?")))
    try:
        secs, cores, other = float(meta["seconds"]), float(meta["cores"]), float(meta["other_cpu"])
        other = max(other, float(meta.get("other_cpu_all", 0)))
        share = other / (secs * cores) if secs > 0 and cores > 0 else 0.0
        md.append("- other work during this part: %.1f CPU-seconds (%.0f %% of %d cores over %d s): the CPU time "
                  "the machine spent (/proc/stat) less this part's own %.1f s%s; of it %.1f s in processes that "
                  "ran throughout%s"
                  % (other, 100 * share, cores, secs, float(meta.get("own_cpu", 0)),
                     "" if "other_cpu_all" in meta else " (not recorded)", float(meta["other_cpu"]),
                     ", those using a CPU %s of the time or more: %s"
                     % ("%g %%" % (100 * meta.get("busy_min_share", 0.1)), meta["busy"]) if meta.get("busy")
                     else ""))
        if share > 0.05:
            md.append("- **measured under load**: other work held part of the 2 cores throughout, so every "
                      "figure is lower and noisier than on an idle machine; both sides ran under the same load, "
                      "interleaved, so the ratios are the fairer figures")
    except (KeyError, ValueError):
        pass
    if str(meta.get("quick")) == "1":
        md.append("- **BENCH_QUICK=1**: a smoke test of the pipeline (one segment, one repetition); "
                  "the figures mean nothing")
    md.append("")
    md.append(tab.markdown() + "\n")
    md.append("speedup = PyTorch time / hrmscope time, or hrmscope steps/s / PyTorch steps/s (above 1: hrmscope "
              "is faster). PyTorch runs the project's own TRM reference (tests/reference/trm_ref.py, checked "
              "against the official trm.py) on the checkpoint `hrmscope init` wrote (torch.load), float32 under "
              "torch.no_grad, or every tensor in torch.bfloat16 as model.to(torch.bfloat16) leaves it. An L-step "
              "and an H-step are each one call of the one 2-layer network; a segment is H_cycles x (L_cycles + 1) "
              "calls, the last with the heads (lm_head, q_head, argmax). Repetitions: the median over the steps "
              "of 5 segments (sudoku, both sides), of 4 segments (maze, hrmscope) and 2 (maze, PyTorch); "
              "training: the median of 5 repetitions of 2 (7x7) or 1 (11x11) steps after one warm-up step. "
              "The training step on both sides: rows refilled in dataset order as they halt, exploration off, "
              "the last-cycle gradient (no gradient through the first H_cycles - 1 cycles), stablemax loss, "
              "halting on q_halt > 0 with no continue target and no extra segment (no_ACT_continue), global "
              "clipping to 1, AdamW (lr 1e-3, betas 0.9/0.95, wd 0.1), sign-SGD on the puzzle embeddings; "
              "PyTorch in float32 autograd (tools/bench_torch.py train --grad last_cycle, after "
              "tests/reference/train_trm_ref.py).\n")
    for n in notes:
        md.append(n + "\n")
    md.append("FLOPs counted in the TRM rows (2 M K N per product; an mlp_t block replaces attention by a SwiGLU "
              "over the T positions of each channel):\n")
    md.append(flop_table(rows, (("trm_sudoku_b1", "TRM sudoku B=1"), ("trm_maze_b1", "TRM maze B=1"))) + "\n")
    return "\n".join(md)


def splice_trm(path, section):
    """Put section into the markdown file at path in place of its TRM
    section (up to the next "## " heading), or before "## FLOPs counted", or
    at the end; the rest of the file is kept byte for byte."""
    with open(path) as f:
        text = f.read()
    lines = text.split("\n")
    try:
        start = lines.index(TRM_HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    except ValueError:
        start = end = lines.index(FLOPS_HEADING) if FLOPS_HEADING in lines else len(lines)
    body = section.rstrip("\n").split("\n") + [""]
    lines[start:end] = body
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", action="append", default=[], help="KEY=VALUE")
    ap.add_argument("--out")
    ap.add_argument("--trm-splice", metavar="RESULTS.md", help="write only the TRM section into this file")
    a = ap.parse_args()
    rows = load(a.results)
    trm = trm_section(rows)
    if a.trm_splice:
        if trm is None:
            sys.exit("bench_report.py: %s has no TRM measurements (bench/run_trm_bench.sh)" % a.results)
        print(trm)
        splice_trm(a.trm_splice, trm)
        print("\nwrote the TRM section into %s" % a.trm_splice)
        return
    if not a.out:
        ap.error("--out is required")
    meta = dict(kv.split("=", 1) for kv in a.meta)
    tab, fw, notes = build(rows, meta)
    table = tab.markdown()
    btab, bnotes = bf16_table(rows, meta)
    btable = btab.markdown()
    quick = meta.get("quick") == "1"
    if quick:
        print("BENCH_QUICK=1: a smoke test of the pipeline, one repetition on whatever the machine was doing; "
              "the figures mean nothing\n")
    print(table)
    for n in notes:
        print("\n" + n)
    print("\nbf16 (issue 19): every ratio against a baseline measured in this run\n")
    print(btable)
    for n in bnotes:
        print("\n" + n)

    hi = find(rows, kind="hrmscope_info") or {}
    ti = find(rows, kind="torch_info") or {}
    md = []
    md.append("# Benchmark results\n")
    md.append("Written by `bench/run_bench.sh` (`make bench`); every figure below was measured in "
              "the same run, on the same machine, with the same thread count.\n")
    md.append("- date: %s" % meta.get("date", "?"))
    md.append("- command: `%s`" % meta.get("command", "?"))
    md.append("- CPU: %s, %s cores (lscpu)" % (meta.get("cpu", "?"), meta.get("cores", "?")))
    md.append("- threads: %s for every forward figure (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS = %s, "
              "hrm_set_threads and torch.set_num_threads(%s)); training at 1 and 2 as labelled"
              % (meta.get("threads"), meta.get("threads"), meta.get("threads")))
    md.append("- BLAS, hrmscope: %s (%s threads)" % (hi.get("openblas_config", "?"), hi.get("openblas_threads", "?")))
    md.append("- BLAS, PyTorch %s (BLAS_INFO=%s): libraries mapped: %s; %s; OpenBLAS threads %s, "
              "torch threads %s (OpenMP), interop %s; run with OMP_WAIT_POLICY=PASSIVE (see the note)"
              % (ti.get("torch", "?"), ti.get("blas_info", "?"), ", ".join(ti.get("libraries", [])),
                 ti.get("openblas_config", "?"), ti.get("openblas_threads", "?"), ti.get("torch_threads", "?"),
                 ti.get("interop_threads", "?")))
    md.append("- load average (1/5/15 min): %s at the start, %s at the end; "
              "other processes at %%CPU >= 20 at the end (ps, a lifetime average): %s"
              % (meta.get("load_start", "?"), meta.get("load_end", "?"), meta.get("busy", "?") or "none"))
    md.append("- duration: %s s" % meta.get("seconds", "?"))
    try:
        secs, cores = float(meta["seconds"]), float(meta["cores"])
        other = float(meta["other_cpu"])
        share = other / (secs * cores) if secs > 0 and cores > 0 else 0.0
        md.append("- other work during the run: %.1f CPU-seconds in processes that ran before and after it "
                  "(%.1f %% of %d cores over %d s)" % (other, 100 * share, cores, secs))
        busy = share > 0.05
    except (KeyError, ValueError):
        try:
            busy = float(meta.get("load_start", "0").split()[0]) > 0.5
        except ValueError:
            busy = False
    if busy:
        md.append("- **measured once, under load**: the machine was busy with other work during the run "
                  "(load average above), so every figure is lower and noisier than on an idle machine; "
                  "both sides ran under the same load, interleaved, so the ratios are the fairer figures")
    if quick:
        md.append("- **BENCH_QUICK=1**: a smoke test of the pipeline (one segment, one repetition); "
                  "the figures mean nothing")
    md.append("")
    md.append(table + "\n")
    md.append("speedup = PyTorch time / hrmscope time (above 1: hrmscope is faster); for sgemm 1000^3 "
              "the ratio of GFLOP/s. GFLOP/s counts the matrix products and attention only (below), "
              "not norms, RoPE, softmax or SiLU. The ceiling is the GFLOP/s the block's products reach "
              "when each runs alone through cblas_sgemm at its own shape and layout "
              "(flops / sum(flops_op / GFLOP/s_op)).\n")
    for n in notes:
        md.append(n + "\n")
    md.append("## bf16 (issue 19): targets as ratios against baselines of the same run\n")
    md.append(btable + "\n")
    md.append("ratio = baseline time / measured time for times (above 1: the measured side is faster), "
              "measured / baseline for steps/s and GFLOP/s. PyTorch in torch.bfloat16 is "
              "tools/bench_torch.py forward --dtype bf16: the reference model with every weight, table and "
              "activation in bfloat16, as model.to(torch.bfloat16) leaves it (its CPU bf16 matmuls run in "
              "torch's oneDNN). The fp32 L-step is the stepping run's (maze B = 1, above).\n")
    md.append("The oneDNN ceiling: bench_forward onednn times oneDNN's bf16 matmul primitive alone (compact "
              "bf16 operands, weights prepacked) at every product of a block at its own shape, with the same "
              "threads used two ways, one product on an OpenMP team of that many threads and one product per "
              "thread at once (each on one thread, as the engine's gemm_bf16 runs oneDNN); the faster of "
              "the two is GFLOP/s_op. A segment runs H_cycles x (L_cycles x L_layers "
              "+ H_layers) = 24 blocks, so op's FLOPs in a segment are flops_op(block) x 24 and at the "
              "ceiling they take flops_op x 24 / GFLOP/s_op; the ceiling time t_ceil is the sum over the six "
              "products. The fraction is t_ceil / the measured bf16 segment time, i.e. the products' FLOPs "
              "over the measured time against the same FLOPs over t_ceil. The measured time also holds "
              "everything that is not a product (norms, RoPE, softmax, SiLU, bf16 conversions, heads), so "
              "those count against the fraction.\n")
    md.append("OpenBLAS: every sgemm figure above runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE as the "
              "environment sets them; the row 'as the machine would choose' is the one command run with both "
              "unset (env -u) and OPENBLAS_VERBOSE=2, which prints the kernel OpenBLAS picked.\n")
    for n in bnotes:
        md.append(n + "\n")
    if trm is not None:
        print("\n" + trm)
        md.append(trm)
    md.append(FLOPS_HEADING + "\n")
    md.append("2 M K N per product; attention is two products per batch row and head (q k^T: T x hd x T, "
              "p v: T x T x hd). A block is qkv_proj, attention, o_proj, gate_up_proj, down_proj.\n")
    md.append(flop_table(rows) + "\n")
    md.append("## How it was measured\n")
    md.append(
        "- Models: `hrmscope init` (official initialisation, seed 1) of models/hrm_v1.yaml at the maze shape "
        "(vocab 6, 900 cells, T 901) and the sudoku shape (vocab 11, 81 cells, T 82), and of "
        "models/hrm_maze_small.yaml for 7x7 (seq 49) and 11x11 (seq 121) mazes; PyTorch loads the same "
        "checkpoint files with torch.load into tests/reference/hrm_ref.py (float32, torch.no_grad).\n"
        "- Forward: the same fixed tokens on both sides; one module call of warm-up (none for the maze at "
        "B = 8, where one step takes many seconds), then every L-step and "
        "H-step timed; the H-step that ends a segment includes the heads (lm_head, q_head, argmax) on both "
        "sides; hrmscope's steps also compute the residuals and norms the UI shows.\n"
        "- Memory: each hrmscope forward measurement runs in a forked child; its ru_maxrss comes from wait4. "
        "The stepping run keeps a malloc'd fp32 copy of z_H and z_L after every module call (97 positions for "
        "16 segments), as a UI that rewinds by copies would.\n"
        "- Training: the same dataset (`hrmscope gen maze --size N --count 64 --seed 1`), examples taken in "
        "order as rows halt, exploration off, stablemax loss, ACT Q-learning with its extra no-grad segment, "
        "global clipping to 1, AdamW (lr 1e-3, betas 0.9/0.95, wd 0.1) and sign-SGD for the puzzle "
        "embedding; PyTorch runs the same step in float32 autograd (tools/bench_torch.py, after "
        "tests/reference/train_ref.py). Steps/s is the median of 5 repetitions of 2 (7x7) or 1 (11x11) "
        "steps after one warm-up step.\n"
        "- Repetitions: sgemm, sudoku and training take medians of 5; the 27M maze shape takes the median "
        "over the steps of 16 segments (hrmscope, B = 1), 2 segments (PyTorch, B = 1) and 1 segment "
        "(B = 8, both), being slow; in bf16 (issue 19) the maze B = 1 over the steps of 4 segments "
        "(hrmscope) and 2 (PyTorch), the sudoku over 5 segments, the training rates over 5 repetitions "
        "of 1 step.\n"
        "- TUI: tools/tui_latency.py runs `hrmscope tui` on the 27M maze model and a 30x30 maze in a 120x40 "
        "pseudo-terminal (TERM=xterm-256color), reads all it writes into a small terminal emulator, and times "
        "key c (chart metric) from the write to the moment both chart titles show the next metric: 30 presses "
        "idle, 30 after r while the header says computing (only those count), 20 after 40 window-size changes "
        "(TIOCSWINSZ, so SIGWINCH); a press unanswered within 3 s counts as lost. Under load the figures "
        "include waiting for a CPU (the JSON lines say, per press, how long the UI thread ran and waited).\n"
        "- PyTorch's threads: libgomp busy-waits by default; on a loaded 2-core machine torch's idle OpenMP "
        "threads then spin against OpenBLAS's own threads and a sudoku L-step slows down by an order of "
        "magnitude (the row marked 'active waiting'). The baseline runs with OMP_WAIT_POLICY=PASSIVE, the "
        "fair setting.\n")
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    print("\nwrote %s" % a.out)


if __name__ == "__main__":
    main()
