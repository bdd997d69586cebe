#!/usr/bin/env python3
"""Write hrmscope's golden fixtures (tests/fixtures/golden) and the malformed
checkpoints a loader must refuse (tests/fixtures/bad).

    make_golden.py [--out tests/fixtures] [--hrmscope PATH]

Deterministic: fixed seeds, fixed zip timestamps.  See the READMEs it writes
for the format.  With --hrmscope (and an existing binary) it also rebuilds the
`roundtrip` case from a checkpoint that `hrmscope init` writes; without it an
existing roundtrip case is left alone.
"""

import argparse
import collections
import io
import os
import pickletools
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch
import yaml

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_ref as R  # noqa: E402
from torch_archive import binunicode, forged_checkpoint_entries, torch2_entries, write_zip  # noqa: E402

torch.set_num_threads(1)  # summation order independent of the machine

F64_DRIFT_SEGMENTS = 16
SWEEP_SEEDS = (102, 103, 104, 105, 106, 107)

# Sizes are small because every layer costs 3 * 256 * d floats (the SwiGLU width
# is a multiple of 256) and golden/ (with this script's bad/ cases) must stay
# under 2.5 MB.
CASES = {
    "rope_pe": dict(
        arch=dict(hidden_size=16, num_heads=4, H_layers=2, L_layers=1, H_cycles=2, L_cycles=2,
                  expansion=4, puzzle_emb_ndim=16, pos_encodings="rope", halt_max_steps=16),
        V=6, S=8, N=3, B=1, segments=3, f64_segments=F64_DRIFT_SEGMENTS, seed=101,
        data_path="data/maze-30x30-hard-1k"),
    "learned_nope": dict(
        arch=dict(hidden_size=12, num_heads=3, H_layers=1, L_layers=2, H_cycles=1, L_cycles=3,
                  expansion=2, puzzle_emb_ndim=0, pos_encodings="learned", halt_max_steps=8),
        V=11, S=12, N=1, B=1, segments=3, f64_segments=3, seed=202,
        store={"lm_head.weight": torch.bfloat16},
        data_path="data/sudoku-extreme-1k-aug-1000"),
    "rope_lp2": dict(
        arch=dict(hidden_size=12, num_heads=2, H_layers=1, L_layers=1, H_cycles=3, L_cycles=1,
                  expansion=2.5, puzzle_emb_ndim=20, pos_encodings="rope", halt_max_steps=4),
        V=12, S=9, N=4, B=3, segments=3, f64_segments=3, seed=303,
        store={"q_head.weight": torch.float16},
        data_path="data/arc-aug-1000"),
}

BAD_ARCH = dict(hidden_size=4, num_heads=2, H_layers=1, L_layers=1, H_cycles=1, L_cycles=1,
                expansion=2, puzzle_emb_ndim=4, pos_encodings="rope", halt_max_steps=2)
BAD_V, BAD_S, BAD_N = 6, 8, 2
BAD_CASES = ("wrong_shape", "missing_tensor", "nan_weights", "config_mismatch", "evil_global",
             "huge_size", "truncated", "not_zip")

ROUNDTRIP_INIT = dict(vocab=6, seq_len=8, puzzle_ids=3, seed=11, batch=2)


# ---------------------------------------------------------------- helpers

def own(t):
    """A contiguous tensor with a storage of its own (torch.save writes a
    view's whole base storage otherwise)."""
    return t.detach().contiguous().clone()


def make_arch(spec, V, S, N):
    a = R.Arch(**spec)
    a.vocab_size, a.seq_len = V, S
    a.num_puzzle_identifiers = N if a.puzzle_emb_ndim > 0 else 0
    return a


def all_config(arch, case, data_path, seed=0):
    """The dict the official trainer dumps as all_config.yaml."""
    arch_section = {
        "name": "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1",
        "loss": {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"},
        "H_cycles": arch.H_cycles, "L_cycles": arch.L_cycles,
        "H_layers": arch.H_layers, "L_layers": arch.L_layers,
        "hidden_size": arch.hidden_size, "num_heads": arch.num_heads,
        "expansion": arch.expansion, "puzzle_emb_ndim": arch.puzzle_emb_ndim,
        "pos_encodings": arch.pos_encodings,
        "halt_max_steps": arch.halt_max_steps,
        "halt_exploration_prob": arch.halt_exploration_prob,
    }
    project = "Golden-%s ACT-torch" % case
    run = "HierarchicalReasoningModel_ACTV1 golden-%s" % case
    return {
        "arch": arch_section,
        "data_path": data_path,
        "global_batch_size": 384, "epochs": 20000,
        "lr": 1e-4, "lr_min_ratio": 1.0, "lr_warmup_steps": 2000,
        "weight_decay": 1.0, "beta1": 0.9, "beta2": 0.95,
        "puzzle_emb_lr": 1e-4, "puzzle_emb_weight_decay": 1.0,
        "seed": seed, "checkpoint_every_eval": True, "eval_interval": 2000,
        "eval_save_outputs": [],
        "project_name": project, "run_name": run,
        "checkpoint_path": "checkpoints/%s/%s" % (project, run),
    }


def write_yaml(path, d):
    with open(path, "w") as f:
        yaml.dump(d, f)  # keys sorted, block style: what the trainer writes


def make_inputs(arch, B, N, seed):
    rng = np.random.default_rng(seed)
    inp = rng.integers(1, arch.vocab_size, size=(B, arch.seq_len))
    pad = rng.random((B, arch.seq_len)) < 0.15
    pad[0, -1] = True  # at least one pad token
    inp[pad] = 0
    if arch.puzzle_emb_ndim > 0:
        pid = rng.integers(0, N, size=(B,))
        pid[0] = N - 1  # the last row of the table is used
    else:
        pid = np.zeros((B,), dtype=np.int64)
    return torch.from_numpy(inp.astype(np.int32)), torch.from_numpy(pid.astype(np.int32))


# ---------------------------------------------------------------- traces

@torch.no_grad()
def build_trace(arch, weights, inputs, pids, segments, f64_segments, ref=R.HRMRef):
    """ref: the reference class (hrm_ref.HRMRef, trm_ref.TRMRef)."""
    m = ref(arch, weights, torch.float32)
    B = inputs.shape[0]
    t = collections.OrderedDict()
    t["inputs"] = own(inputs)
    t["puzzle_identifiers"] = own(pids)
    x = m.input_embedding(inputs, pids)
    t["x"] = own(x)
    t["meta"] = torch.tensor([B, arch.seq_len, arch.T, arch.vocab_size, segments,
                              arch.H_cycles, arch.L_cycles, arch.Lp], dtype=torch.int32)
    zH, zL = m.initial_carry(B)
    for s in range(segments):
        t["s%d.zH0" % s] = own(zH)
        t["s%d.zL0" % s] = own(zL)
        for i in range(arch.H_cycles):
            for j in range(arch.L_cycles):
                zL = m.L_step(zL, zH, x)
                p = "s%d.h%d.l%d." % (s, i, j)
                t[p + "zL"] = own(zL)
                t[p + "probe"] = own(m.probe(zH, zL))
                t[p + "zLdec"] = own(m.decode_zL(zL))
            zH = m.H_step(zH, zL)
            t["s%d.h%d.zH" % (s, i)] = own(zH)
        logits, qh, qc = m.heads(zH)
        t["s%d.logits" % s] = own(logits)
        t["s%d.q" % s] = own(torch.stack((qh, qc), dim=-1))

    m64 = ref(arch, weights, torch.float64)
    for s, (zH, zL, logits, qh, qc) in enumerate(R.run(m64, inputs, pids, f64_segments)):
        t["f64.s%d.zH" % s] = own(zH)
        t["f64.s%d.zL" % s] = own(zL)
        t["f64.s%d.logits" % s] = own(logits)
        t["f64.s%d.q" % s] = own(torch.stack((qh, qc), dim=-1))
    return dict(t)


def bf16(t):
    """A stored copy in bfloat16 (states, embeddings, logits: bf16 values)."""
    return own(t.to(torch.bfloat16))


@torch.no_grad()
def build_trace_bf16(arch, weights, inputs, pids, segments, ref=R.HRMRef):
    """The reference in torch.bfloat16 (hrm_ref.py, "bfloat16 mode"): the same
    step keys as build_trace (stored as bfloat16, q as float32), the
    intermediates of the first block of each level for batch row 0 (op.L.*,
    op.H.*), and a free run of halt_max_steps segments, stacked (run.*)."""
    m = ref(arch, weights, torch.bfloat16)
    B = inputs.shape[0]
    t = collections.OrderedDict()
    t["inputs"] = own(inputs)
    t["puzzle_identifiers"] = own(pids)
    x = m.input_embedding(inputs, pids)
    t["x"] = bf16(x)
    t["meta"] = torch.tensor([B, arch.seq_len, arch.T, arch.vocab_size, segments,
                              arch.H_cycles, arch.L_cycles, arch.Lp], dtype=torch.int32)
    zH, zL = m.initial_carry(B)
    # the first block of L_level in the first L step, and of H_level in the
    # first H step; row 0 only (every op is per row or per batch row)
    ops = {}
    m.block(m.blocks["L_level"][0], m.add(zL, m.add(zH, x))[:1], ops)
    for k, v in ops.items():
        t["op.L." + k] = bf16(v)
    zL1 = zL
    for _ in range(arch.L_cycles):
        zL1 = m.L_step(zL1, zH, x)
    ops = {}
    m.block(m.blocks["H_level"][0], m.add(zH, zL1)[:1], ops)
    for k, v in ops.items():
        t["op.H." + k] = bf16(v)
    for s in range(segments):
        t["s%d.zH0" % s] = bf16(zH)
        t["s%d.zL0" % s] = bf16(zL)
        for i in range(arch.H_cycles):
            for j in range(arch.L_cycles):
                zL = m.L_step(zL, zH, x)
                p = "s%d.h%d.l%d." % (s, i, j)
                t[p + "zL"] = bf16(zL)
                t[p + "probe"] = bf16(m.probe(zH, zL))
                t[p + "zLdec"] = bf16(m.decode_zL(zL))
            zH = m.H_step(zH, zL)
            t["s%d.h%d.zH" % (s, i)] = bf16(zH)
        logits, qh, qc = m.heads(zH)
        t["s%d.logits" % s] = bf16(logits)
        t["s%d.q" % s] = own(torch.stack((qh, qc), dim=-1))
    run = R.run(m, inputs, pids, arch.halt_max_steps)
    t["run.zH"] = bf16(torch.stack([r[0] for r in run]))
    t["run.zL"] = bf16(torch.stack([r[1] for r in run]))
    t["run.logits"] = bf16(torch.stack([r[2] for r in run]))
    t["run.q"] = own(torch.stack([torch.stack(r[3:5], dim=-1) for r in run]))
    return dict(t)


def drift_table(arch, weights, inputs, pids, segments):
    """fp32 vs fp64 free-running, per segment end."""
    r32 = R.run(R.HRMRef(arch, weights, torch.float32), inputs, pids, segments)
    r64 = R.run(R.HRMRef(arch, weights, torch.float64), inputs, pids, segments)
    rows = []
    for s, (a, b) in enumerate(zip(r32, r64)):
        row = [s + 1]
        for k in (0, 1, 2):  # zH, zL, logits
            d = a[k].double() - b[k]
            row.append(d.abs().max().item() / b[k].abs().max().item())
            row.append(d.norm().item() / b[k].norm().item())
        qa = torch.stack(a[3:5], -1).double()
        qb = torch.stack(b[3:5], -1)
        row.append((qa - qb).abs().max().item())
        rows.append(row)
    return rows


def drift_sweep(seeds, segments):
    """z_H max-abs relative drift per segment for other weight draws of the
    rope_pe architecture (not stored): how fp32 rounding usually grows."""
    spec = CASES["rope_pe"]
    arch = make_arch(spec["arch"], spec["V"], spec["S"], spec["N"])
    out = []
    for seed in seeds:
        w = R.random_weights(arch, seed)
        inputs, pids = make_inputs(arch, spec["B"], spec["N"], seed + 1)
        out.append((seed, [r[1] for r in drift_table(arch, w, inputs, pids, segments)]))
    return out


def format_sweep(sweep):
    n = len(sweep[0][1])
    head = "| seed | " + " | ".join("s%d" % (i + 1) for i in range(n)) + " |\n"
    head += "|---:|" + "---:|" * n + "\n"
    return head + "".join("| %d | " % seed + " | ".join("%.0e" % v for v in vals) + " |\n"
                          for seed, vals in sweep)


def format_drift(rows):
    head = ("| segment | z_H max-abs rel | z_H L2 rel | z_L max-abs rel | z_L L2 rel "
            "| logits max-abs rel | logits L2 rel | q max abs err |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    body = "".join("| %d | " % r[0] + " | ".join("%.2e" % v for v in r[1:]) + " |\n" for r in rows)
    return head + body


# ---------------------------------------------------------------- cases

def save_checkpoint(path, weights):
    torch.save(R.prefixed_state(weights), path)


def write_golden_case(out, name, spec):
    d = os.path.join(out, "golden", name)
    os.makedirs(d, exist_ok=True)
    arch = make_arch(spec["arch"], spec["V"], spec["S"], spec["N"])
    weights = R.random_weights(arch, spec["seed"], store_dtypes=spec.get("store"))
    save_checkpoint(os.path.join(d, "checkpoint"), weights)
    write_yaml(os.path.join(d, "all_config.yaml"), all_config(arch, name, spec["data_path"]))
    inputs, pids = make_inputs(arch, spec["B"], spec["N"], spec["seed"] + 1)
    trace = build_trace(arch, weights, inputs, pids, spec["segments"], spec["f64_segments"])
    torch.save(trace, os.path.join(d, "trace"))
    torch.save(build_trace_bf16(arch, weights, inputs, pids, spec["segments"]),
               os.path.join(d, "trace_bf16"))  # the copies (torch2_layout, zip64) use rope_pe's
    return arch, weights, inputs, pids


def write_rewritten_case(out, src_case, name, prefix, zip64):
    src = os.path.join(out, "golden", src_case)
    d = os.path.join(out, "golden", name)
    os.makedirs(d, exist_ok=True)
    write_zip(os.path.join(d, "checkpoint"), torch2_entries(os.path.join(src, "checkpoint"), prefix),
              zip64=zip64)
    for f in ("all_config.yaml", "trace"):
        shutil.copyfile(os.path.join(src, f), os.path.join(d, f))


def write_roundtrip_case(out, hrmscope):
    """Checkpoint written by `hrmscope init`, read back by torch.load (the
    proof that torch reads what hrmscope writes); the case directory is only
    replaced once the checkpoint has passed every check."""
    spec = CASES["rope_pe"]
    ri = ROUNDTRIP_INIT
    given = make_arch(spec["arch"], ri["vocab"], ri["seq_len"], ri["puzzle_ids"])
    hrmscope = os.path.abspath(hrmscope)
    with tempfile.TemporaryDirectory() as tmp:
        # relative paths only, so that nothing hrmscope records names this machine
        write_yaml(os.path.join(tmp, "arch.yaml"), all_config(given, "roundtrip", spec["data_path"])["arch"])
        os.makedirs(os.path.join(tmp, "out"))
        args = ["init", "--arch", "arch.yaml", "--vocab", str(ri["vocab"]),
                "--seq-len", str(ri["seq_len"]), "--puzzle-ids", str(ri["puzzle_ids"]),
                "--seed", str(ri["seed"]), "-o", "out"]
        # in the ZIP64 layout hrmscope writes past 4 GB (forced on this small
        # file), so that torch.load is shown to read that layout too
        print("roundtrip: running HRMSCOPE_FORCE_ZIP64=1 hrmscope", " ".join(args))
        subprocess.run([hrmscope] + args, check=True, cwd=tmp,
                       env=dict(os.environ, HRMSCOPE_FORCE_ZIP64="1"))
        ckpt = os.path.join(tmp, "out", "checkpoint")
        with open(ckpt, "rb") as f:
            raw = f.read()
        if b"PK\x06\x06" not in raw or b"PK\x06\x07" not in raw:
            raise SystemExit("roundtrip: no ZIP64 end records in the checkpoint hrmscope wrote")
        with zipfile.ZipFile(ckpt) as z:
            if z.testzip() is not None:
                raise SystemExit("roundtrip: a CRC in the checkpoint hrmscope wrote is wrong")
        sd = torch.load(ckpt, map_location="cpu", weights_only=True)
        with open(os.path.join(tmp, "out", "all_config.yaml")) as f:
            conf = yaml.safe_load(f)
        state = R.canonical_state(sd)
        arch = R.arch_from_config(conf, state)
        arch.seq_len = ri["seq_len"]
        keys = R.ARCH_YAML_KEYS[:9]
        if [getattr(arch, k) for k in keys] != [getattr(given, k) for k in keys]:
            raise SystemExit("roundtrip: all_config.yaml arch %s differs from the one given" % conf.get("arch"))
        want = {R.CHECKPOINT_PREFIX + k: v for k, v in R.expected_shapes(arch).items()}
        if set(sd) != set(want):
            raise SystemExit("roundtrip: keys differ: %s" % sorted(set(sd) ^ set(want)))
        print("roundtrip: torch.load read %d tensors:" % len(sd))
        for k, v in sd.items():
            dtype = torch.bfloat16 if k.endswith(("H_init", "L_init")) else torch.float32
            ok = tuple(v.shape) == want[k] and v.dtype == dtype and v.is_contiguous() \
                and bool(torch.isfinite(v.float()).all())
            print("  %-66s %-10s %-9s %s" % (k, "x".join(map(str, v.shape)), str(v.dtype)[6:],
                                             "ok" if ok else "BAD"))
            if not ok:
                raise SystemExit("roundtrip: %s: shape %s dtype %s, expected %s %s"
                                 % (k, tuple(v.shape), v.dtype, want[k], dtype))
        d = os.path.join(out, "golden", "roundtrip")
        os.makedirs(d, exist_ok=True)
        for f in ("checkpoint", "all_config.yaml"):
            shutil.copyfile(os.path.join(tmp, "out", f), os.path.join(d, f))
    inputs, pids = make_inputs(arch, ri["batch"], ri["puzzle_ids"], spec["seed"] + 1)
    trace = build_trace(arch, state, inputs, pids, spec["segments"], spec["segments"])
    torch.save(trace, os.path.join(d, "trace"))
    torch.save(build_trace_bf16(arch, state, inputs, pids, spec["segments"]), os.path.join(d, "trace_bf16"))


MAZE_CASE = dict(model="maze", size=11, count=100, seed=19, test_seed=1919)


def pack_nibbles(a):
    """uint8 [..., n] values 0..15 -> [..., ceil(n/2)], cell 2i in the low
    nibble of byte i, cell 2i+1 in the high one."""
    a = np.asarray(a, dtype=np.uint8)
    if a.shape[-1] % 2:
        a = np.concatenate((a, np.zeros(a.shape[:-1] + (1,), np.uint8)), axis=-1)
    return a[..., 0::2] | (a[..., 1::2] << 4)


@torch.no_grad()
def write_maze_case(out, hrmscope):
    """maze_bf16: the shipped maze model in the bf16 reference on mazes from
    `hrmscope gen maze`; the predictions after every segment."""
    mc = MAZE_CASE
    model_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", mc["model"])
    with open(os.path.join(model_dir, "all_config.yaml")) as f:
        conf = yaml.safe_load(f)
    state = R.canonical_state(torch.load(os.path.join(model_dir, "checkpoint"), map_location="cpu"))
    arch = R.arch_from_config(conf, state)
    arch.seq_len = conf["hrmscope"]["seq_len"]
    R.check_state(arch, state)
    with tempfile.TemporaryDirectory() as tmp:
        args = ["gen", "maze", "--size", str(mc["size"]), "--count", "1", "--test-count", str(mc["count"]),
                "--seed", str(mc["seed"]), "--test-seed", str(mc["test_seed"]), "-o", "m"]
        print("maze_bf16: running hrmscope", " ".join(args))
        subprocess.run([os.path.abspath(hrmscope)] + args, check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        inputs = np.load(os.path.join(tmp, "m", "test", "all__inputs.npy"))
        labels = np.load(os.path.join(tmp, "m", "test", "all__labels.npy"))
        pids = np.load(os.path.join(tmp, "m", "test", "all__puzzle_identifiers.npy"))
    inputs = torch.from_numpy(inputs.astype(np.int32))
    pids = torch.from_numpy(pids.astype(np.int32))
    B, S = inputs.shape
    M = arch.halt_max_steps
    m = R.HRMRef(arch, state, torch.bfloat16)
    preds, margins = [], []
    for _, _, logits, _, _ in R.run(m, inputs, pids, M):
        lf = logits.float()
        preds.append(lf.argmax(-1).numpy().astype(np.uint8))
        top2 = lf.topk(2, dim=-1).values
        margins.append((top2[..., 0] - top2[..., 1]).numpy())
    preds = np.stack(preds)  # [M, B, S]
    margins = np.stack(margins)
    # one L step at this scale from the initial carry, maze 0
    x0 = m.input_embedding(inputs[:1], pids[:1])
    zH0, zL0 = m.initial_carry(1)
    step_zL = m.L_step(zL0, zH0, x0)
    exact = [(preds[s] == labels).all(-1).mean() for s in range(M)]
    d = os.path.join(out, "golden", "maze_bf16")
    os.makedirs(d, exist_ok=True)
    trace = collections.OrderedDict()
    trace["meta"] = torch.tensor([B, S, M, arch.vocab_size], dtype=torch.int32)
    trace["inputs"] = torch.from_numpy(inputs.numpy().astype(np.uint8))
    trace["puzzle_identifiers"] = own(pids)
    trace["pred"] = torch.from_numpy(np.ascontiguousarray(pack_nibbles(preds)))
    # per segment and maze, the smallest gap between the top two logits of a cell
    trace["margin"] = torch.from_numpy(np.ascontiguousarray(margins.min(-1), dtype=np.float32))
    trace["step.zL"] = bf16(step_zL)
    torch.save(dict(trace), os.path.join(d, "pred_bf16"))
    exact_text = ", ".join("%.0f %%" % (100 * e) for e in exact)
    print("maze_bf16: %d mazes, exact after segment 1..%d: %s" % (B, M, exact_text))
    print("maze_bf16: smallest top-2 logit margin per segment: %s; cells with an exact tie: %d" % (
        " ".join("%g" % margins[s].min() for s in range(M)), int((margins == 0).sum())))
    return exact_text


def maze_exact_from_readme(path):
    """The maze case's accuracy line of an existing README (the case is only
    rewritten when hrmscope is built)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("from the initial carry. Exact after segment 1..M: "):
                    return line.split(": ", 1)[1].rstrip().rstrip(".")
    except OSError:
        pass
    return "(not written)"


def write_bad_cases(out):
    base = os.path.join(out, "bad")
    arch = make_arch(BAD_ARCH, BAD_V, BAD_S, BAD_N)
    good = R.random_weights(arch, 909)
    conf = all_config(arch, "bad", "data/maze-30x30-hard-1k")
    P = R.CHECKPOINT_PREFIX
    d = arch.hidden_size

    def case(name):
        p = os.path.join(base, name)
        os.makedirs(p, exist_ok=True)
        write_yaml(os.path.join(p, "all_config.yaml"), conf)
        return os.path.join(p, "checkpoint")

    w = collections.OrderedDict(good)
    w["L_level.layers.0.self_attn.qkv_proj.weight"] = own(w["L_level.layers.0.self_attn.qkv_proj.weight"][: 2 * d])
    save_checkpoint(case("wrong_shape"), w)

    w = collections.OrderedDict(good)
    del w["H_level.layers.0.self_attn.o_proj.weight"]
    save_checkpoint(case("missing_tensor"), w)

    w = collections.OrderedDict(good)
    w["lm_head.weight"] = own(w["lm_head.weight"])
    w["lm_head.weight"][3, 1] = float("nan")
    save_checkpoint(case("nan_weights"), w)

    path = case("config_mismatch")
    save_checkpoint(path, good)
    bad_conf = all_config(arch, "bad", "data/maze-30x30-hard-1k")
    bad_conf["arch"]["hidden_size"] = 2 * d
    write_yaml(os.path.join(os.path.dirname(path), "all_config.yaml"), bad_conf)

    # a valid checkpoint whose pickle gains one more item: os.system(...)
    path = case("evil_global")
    with tempfile.TemporaryDirectory() as tmp:
        save_checkpoint(os.path.join(tmp, "checkpoint"), good)
        with zipfile.ZipFile(os.path.join(tmp, "checkpoint")) as z:
            entries = [(n, z.read(n)) for n in z.namelist()]
    pkl = entries[0][1]
    assert entries[0][0] == "checkpoint/data.pkl" and pkl.endswith(b"u.")
    payload = (binunicode(P + "payload") + b"cos\nsystem\n"
               + binunicode("echo hrmscope test fixture: evil_global payload executed") + b"\x85R")
    entries[0] = (entries[0][0], pkl[:-2] + payload + b"u.")
    write_zip(path, entries)

    sd = R.prefixed_state(good)
    n = P + "lm_head.weight"
    write_zip(case("huge_size"), forged_checkpoint_entries(sd, "checkpoint", {n: ((2 ** 40 // d, d), (d, 1))}))

    path = case("truncated")
    buf = io.BytesIO()
    torch.save(sd, buf)
    with open(path, "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])

    with open(case("not_zip"), "w") as f:
        f.write("This is not a PyTorch checkpoint: a plain text file where a zip archive belongs.\n")

    with open(os.path.join(base, "README.md"), "w") as f:
        f.write(BAD_README % dict(d=d, d2=2 * d, d3=3 * d, V=arch.vocab_size, big=2 ** 40 // d))


# ---------------------------------------------------------------- verification

def verify(out):
    gold = os.path.join(out, "golden")
    for case in sorted(os.listdir(gold)):
        p = os.path.join(gold, case)
        if not os.path.isdir(p) or case == "maze_bf16":  # no checkpoint: models/maze
            continue
        sd = torch.load(os.path.join(p, "checkpoint"), map_location="cpu")
        tr = torch.load(os.path.join(p, "trace"), map_location="cpu")
        with open(os.path.join(p, "all_config.yaml")) as f:
            conf = yaml.safe_load(f)
        state = R.canonical_state(sd)
        arch = R.arch_from_config(conf, state)
        arch.seq_len = int(tr["meta"][1])
        with zipfile.ZipFile(os.path.join(p, "checkpoint")) as z:
            if z.testzip() is not None:
                raise SystemExit("%s: bad CRC" % case)
        m32 = R.HRMRef(arch, state, torch.float32)
        m64 = R.HRMRef(arch, state, torch.float64)
        x = m32.input_embedding(tr["inputs"], tr["puzzle_identifiers"])
        assert torch.equal(x, tr["x"]), case
        zL = m32.L_step(tr["s0.zL0"], tr["s0.zH0"], x)
        assert torch.equal(zL, tr["s0.h0.l0.zL"]), case
        z64 = m64.L_step(tr["s0.zL0"].double(), tr["s0.zH0"].double(), x.double())
        rel = (zL.double() - z64).abs().max().item() / z64.abs().max().item()
        if rel > 5e-6:
            raise SystemExit("%s: fp32 vs fp64 after one L step: %.2e" % (case, rel))
        src = "rope_pe" if case in ("torch2_layout", "zip64") else case
        tb = torch.load(os.path.join(gold, src, "trace_bf16"), map_location="cpu")
        mb = R.HRMRef(arch, state, torch.bfloat16)
        xb = mb.input_embedding(tb["inputs"], tb["puzzle_identifiers"])
        assert torch.equal(xb, tb["x"]), case
        assert torch.equal(mb.L_step(tb["s0.zL0"], tb["s0.zH0"], xb), tb["s0.h0.l0.zL"]), case
        for k, v in list(tr.items()) + [("bf16 " + k, v) for k, v in tb.items()]:
            if not v.is_contiguous() or v.storage().size() != v.numel():
                raise SystemExit("%s: trace tensor %s is not compact" % (case, k))
        print("verify %-14s torch.load ok, %3d trace tensors, fp32/fp64 one L step rel %.1e"
              % (case, len(tr), rel))
    # nothing in bad/ is unpickled here except the checkpoints that are valid pickles
    bad = os.path.join(out, "bad")
    for case in ("wrong_shape", "missing_tensor", "nan_weights", "config_mismatch"):
        torch.load(os.path.join(bad, case, "checkpoint"), map_location="cpu")
    try:
        torch.load(os.path.join(bad, "huge_size", "checkpoint"), map_location="cpu")
        raise SystemExit("huge_size: torch.load accepted it")
    except RuntimeError:
        pass
    with zipfile.ZipFile(os.path.join(bad, "evil_global", "checkpoint")) as z:
        ops = [(op.name, arg) for op, arg, _ in pickletools.genops(z.read("checkpoint/data.pkl"))]
    assert ("GLOBAL", "os system") in ops
    assert not zipfile.is_zipfile(os.path.join(bad, "not_zip", "checkpoint"))
    try:
        zipfile.ZipFile(os.path.join(bad, "truncated", "checkpoint"))
        raise SystemExit("truncated: still a readable zip")
    except zipfile.BadZipFile:
        pass


def tree_size(path):
    """Bytes on disk as du counts them on a 4 KiB-block file system."""
    total = 0
    for root, _, files in os.walk(path):
        total += 4096  # the directory itself
        for f in files:
            total += -(-os.path.getsize(os.path.join(root, f)) // 4096) * 4096
    return total


# ---------------------------------------------------------------- READMEs

GOLDEN_README = """\
# Golden fixtures

Written by `tests/reference/make_golden.py` (`make golden`) with the PyTorch
reference `tests/reference/hrm_ref.py`; deterministic, so regenerating them must
leave git clean. Do not edit by hand.

Each case directory holds what an official HRM run directory holds, plus a trace:

- `checkpoint`: `torch.save` of an OrderedDict state dict, keys
  `_orig_mod.model.inner.<name>` (names and shapes: see `expected_shapes()` in
  `hrm_ref.py`). float32 except `H_init`/`L_init` (bfloat16), and the deliberate
  exceptions below. The weights are random with the official scales (truncated
  normal, LeCun std 1/sqrt(fan_in), embeddings 1/sqrt(d), H_init/L_init std 1),
  except that `q_head` (W std 1/sqrt(d), b uniform in [-1, 1]) and
  `puzzle_emb.weights` (std 1) are random too, so every path matters.
- `all_config.yaml`: the trainer's yaml.dump of its config (sorted keys, `arch:`
  section). No vocab_size / seq_len / num_puzzle_identifiers: V and the number of
  puzzle ids come from the tensor shapes, S from the trace's `meta`.
- `trace`: `torch.save` of a plain dict name -> contiguous tensor.

## Cases

Sizes are tiny on purpose: the SwiGLU width is a multiple of 256, so every layer
costs at least 3 * 256 * d floats, and golden/ with make_golden.py's cases in bad/
must stay under 2.5 MB (2 MB for the fp32 cases, 0.5 MB for the bf16 traces).

| case | d | heads | H/L layers | H/L cycles | exp. | inter | pos | P (Lp) | N | V | S | B | segments | notes |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
%(case_rows)s

- `torch2_layout`: the `rope_pe` checkpoint re-archived as torch >= 2.4 lays it out:
  prefix `step_1000/`, records `data.pkl`, `.format_version`, `.storage_alignment`,
  `byteorder` (`little`), `data/N`, `version` (`3\\n`), `.data/serialization_id`;
  stored, every record's data 64-byte aligned via an `FB` extra field in the local
  header, sizes in the local headers (no data descriptors). Trace and config are
  copies of `rope_pe`'s.
- `zip64`: the same records (prefix `archive/`) with ZIP64 everywhere: each local
  header has sizes 0xFFFFFFFF and a ZIP64 extra field (then the `FB` padding), each
  central header has sizes and offset 0xFFFFFFFF and a ZIP64 extra field (sizes,
  offset), and the archive ends with a ZIP64 end-of-central-directory record,
  its locator, and a classic record with counts 0xFFFF and size/offset 0xFFFFFFFF.
- The torch 1.13 files (`rope_pe`, `learned_nope`, `rope_lp2`) use prefix
  `checkpoint/`, records `data.pkl`, `data/N`, `version`, general-purpose flag 0x0808
  (sizes only in the data descriptors and the central directory).
- `roundtrip` (present once `make golden` has run with a built hrmscope): checkpoint
  and all_config.yaml written by `HRMSCOPE_FORCE_ZIP64=1 hrmscope init --arch <rope_pe
  arch> --vocab %(rt_V)d --seq-len %(rt_S)d --puzzle-ids %(rt_N)d --seed %(rt_seed)d` (the
  ZIP64 layout hrmscope writes past 4 GB); make_golden.py checked its ZIP64 records and
  CRCs, read it with torch.load, checked every key, shape and dtype, and made the trace from it
  (B %(rt_B)d, %(rt_segments)d segments, f64 keys for those segments only).%(rt_note)s

## Trace keys

- `inputs` int32 [B,S] (tokens 1..V-1 and a few 0 pads), `puzzle_identifiers` int32
  [B] (all 0 when P == 0), `x` float32 [B,T,d] (input embedding).
- `meta` int32 [8] = [B, S, T, V, n_segments, H_cycles, L_cycles, Lp].
- float32 trajectory, computed in float32; every step starts from the previous
  stored state, so any single step can be checked from the trace alone. For segment
  s = 0..n_segments-1, i = 0..H_cycles-1, j = 0..L_cycles-1:
  - `s{s}.zH0`, `s{s}.zL0` [B,T,d]: carry at the segment start (s0: H_init/L_init
    broadcast over T).
  - `s{s}.h{i}.l{j}.zL` [B,T,d]: z_L after L step (i, j) = L_level(z_L, z_H + x).
  - `s{s}.h{i}.l{j}.probe` [B,S,V]: lm_head(H_level(z_H, z_L))[:, Lp:] with the z_H
    current at that moment and the z_L just computed (state untouched).
  - `s{s}.h{i}.l{j}.zLdec` [B,S,V]: lm_head(z_L)[:, Lp:].
  - `s{s}.h{i}.zH` [B,T,d]: z_H after H step i = H_level(z_H, z_L).
  - `s{s}.logits` [B,S,V] = lm_head(z_H)[:, Lp:]; `s{s}.q` [B,2] = z_H[:,0] Wq^T + bq,
    column 0 q_halt, column 1 q_continue.
- float64 free run from the same stored weights (bf16/fp16 tensors enter with their
  rounded values) and inputs, no fp32 anywhere: `f64.s{s}.zH`, `f64.s{s}.zL` float64
  [B,T,d], `f64.s{s}.logits` [B,S,V], `f64.s{s}.q` [B,2], the state and outputs at the
  END of segment s. `rope_pe` (and its copies) run %(f64_segments)d segments here
  (the fp32 keys stop at n_segments); the other cases n_segments.

Precision notes: attention is plain matmul + softmax with scale 1/sqrt(head_dim);
RMSNorm (eps 1e-5, no weight) in the compute dtype. In the float32 run the RoPE
tables are built with float32 arithmetic the way the official RotaryEmbedding
builds them (inv_freq = 1/(10000 ** (arange(0, hd, 2)/hd)), angle = t * inv_freq,
all float32); the float64 run builds them in float64. Scalars (sqrt(d),
0.707106781) multiply as float32 in the float32 run.

## bf16 traces (`trace_bf16`)

`rope_pe`, `learned_nope`, `rope_lp2` and `roundtrip` also hold `trace_bf16`: the
same weights and inputs run through `hrm_ref.py` in bfloat16 mode, which rounds
where the official code with `forward_dtype: bfloat16` rounds (its docstring lists
every rounding point; attention rounds the unnormalised probabilities to bf16
before the product with v, as flash-attention does, and divides by the fp32 sum of
the unrounded ones). `torch2_layout` and `zip64` hold rope_pe's weights: their tests
read rope_pe's `trace_bf16`. Keys, all bfloat16 except `inputs`,
`puzzle_identifiers`, `meta` (as in `trace`) and q (float32):

- `x`; the step keys of `trace` (`s{s}.zH0` ... `s{s}.q`), each step from the
  previous stored bf16 state;
- `op.L.*` / `op.H.*`: batch row 0 of the first block of L_level in the first L
  step and of H_level in the first H step: `in` (block input), `qkv`, `qkv_rope`
  (q and k rotated, v as projected), `attn` (before o_proj), `o`, `h1` =
  rms_norm(in + o), `gu`, `act` = silu(gate) * up, `down`, `h2` = rms_norm(h1 + down);
- `run.zH`, `run.zL` [R,B,T,d], `run.logits` [R,B,S,V], `run.q` [R,B,2]: a free run
  of R = halt_max_steps segments, the state and outputs at each segment end.

Measured against hrmscope's bf16 engine (tests/check_golden_bf16.c, oneDNN): every
op and every step bit-equal except one z_L value one ulp off in `roundtrip`; the
free runs bit-equal except `rope_pe` from segment 7 on (relative error 8e-3 growing
to at most 8.5e-2 by segment 16) and that one ulp in `roundtrip`.

## `maze_bf16`

The shipped `models/maze` (not copied) in the bf16 reference on 100 mazes from
`hrmscope gen maze --size %(mz_size)d --count 1 --test-count %(mz_count)d --seed %(mz_seed)d --test-seed %(mz_tseed)d`
(the test split). `pred_bf16` holds `meta` int32 [B, S, M, V], `inputs` uint8 [B,S],
`puzzle_identifiers` int32 [B], `pred` uint8 [M,B,ceil(S/2)]: the argmax after each of
the M = halt_max_steps segments, two cells a byte (cell 2i in the low nibble of byte
i), `margin` float32 [M,B]: per segment and maze the smallest gap between a cell's
top two logits, and `step.zL` bfloat16 [1,T,d]: z_L after the first L step of maze 0
from the initial carry. Exact after segment 1..M: %(mz_exact)s.
Against hrmscope's bf16 engine: 9 of the 96800 predicted cells differ (segments 1-3,
6 mazes, each after a near-tie in the reference), none from segment 4 on; see
tests/check_golden_bf16.c for the rule.

## fp32 vs fp64 drift (rope_pe, free running)

Measured by make_golden.py: the float32 reference run freely over
%(f64_segments)d segments against the float64 run, at each segment end.
"max-abs rel" = max |a32 - a64| / max |a64|; "L2 rel" = ||a32 - a64|| / ||a64||;
q error is absolute.

%(drift)s
On `rope_pe` the z_H error grows from %(first).0e after segment 1 to %(last).0e
after segment %(f64_segments)d. How fast fp32 rounding errors grow depends on the
weights and the inputs. Other weight draws of the same architecture (z_H max-abs
rel as above, fp32 reference vs fp64, B 1, own inputs; not stored):

%(sweep)s
Some stay at the one-step level (a few 1e-7) for all %(f64_segments)d segments;
others grow 2-3x per segment once the trajectory leaves the initial state,
reaching about 1e-2 by segment %(f64_segments)d. An fp32 implementation with another
summation order starts from one-step errors of a few 1e-7 and follows the same
dynamics, so on `rope_pe` its error should stay within a small multiple of the
first table; on other weights (`roundtrip`, real checkpoints) allow for growth
like the worst rows of the second.
"""


BAD_README = """\
# Malformed checkpoints

Written by `tests/reference/make_golden.py`. Each directory holds `checkpoint`
and `all_config.yaml` of a tiny model (d %(d)d, 2 heads, one H and one L layer,
rope, P %(d)d, V %(V)d) with exactly one defect. A loader must refuse each one with a
one-line message naming the file and the problem (`nan_weights` may instead load
with a warning that names the tensor), never crash, never allocate what the file
merely claims, and never execute anything.

| case | defect | what the loader must report |
|---|---|---|
| `wrong_shape` | `L_level.layers.0.self_attn.qkv_proj.weight` is [%(d2)d, %(d)d] instead of [3d, d] = [%(d3)d, %(d)d] (a valid torch file) | that tensor's name, its shape and the expected shape |
| `missing_tensor` | `H_level.layers.0.self_attn.o_proj.weight` is absent (a valid torch file) | the missing tensor's name |
| `nan_weights` | `lm_head.weight[3][1]` is NaN (a valid torch file) | a non-finite value in `lm_head.weight` |
| `config_mismatch` | valid checkpoint, but all_config.yaml says hidden_size %(d2)d while the tensors have d = %(d)d | the shape mismatch between the config and the tensors (e.g. `embed_tokens.embedding_weight` [%(V)d, %(d)d], expected [%(V)d, %(d2)d]) |
| `evil_global` | a valid checkpoint whose data.pkl has one more item, `_orig_mod.model.inner.payload`, built by the pickle opcodes GLOBAL `os system` + REDUCE (it would run `echo ...`) | the forbidden global `os.system`; nothing may be called. Do not torch.load this file |
| `huge_size` | `lm_head.weight` claims size [%(big)d, %(d)d] = 2^40 elements over its real %(V)d x %(d)d float32 storage (`data/N` holds %(V)d*%(d)d floats) | the tensor does not fit its storage (or the size is absurd) - before allocating anything. torch.load fails too |
| `truncated` | the first half of a valid checkpoint: no central directory | not a readable zip archive / truncated file |
| `not_zip` | a one-line text file | not a zip archive (torch.save file) |

The archives are torch 1.13 layout (`checkpoint/` prefix, data descriptors) except
`evil_global` and `huge_size`, which use the aligned torch 2 layout without
data descriptors (`checkpoint/` prefix, records `data.pkl`, `data/N`, `version`).

## More bad inputs (tests/reference/make_bad_inputs.py)

Written without torch (Python and a built hrmscope): `empty`, `traversal`,
`pickle_bomb`, `short_storage`, `huge_tensor` (checkpoint directories as above),
`yaml_wrong_type.yaml`, `yaml_unknown_key.yaml`, `huge_arch.yaml`, `lying_npy/` (a
dataset folder) and `maze_unknown_char.txt`. docs/robustness.md's table says what each
one is and the exact message hrmscope prints; tests/robustness.sh checks every row.
"""


def write_golden_readme(out, drift_rows, sweep, roundtrip_segments, maze_exact):
    rows = []
    notes = {"rope_pe": "base case; `f64` keys over %d segments" % F64_DRIFT_SEGMENTS,
             "learned_nope": "learned positions, no puzzle emb, `lm_head.weight` stored bfloat16",
             "rope_lp2": "Lp 2 with zero padding, `q_head.weight` stored float16"}
    for name, spec in CASES.items():
        a = make_arch(spec["arch"], spec["V"], spec["S"], spec["N"])
        rows.append("| `%s` | %d | %d | %d/%d | %d/%d | %g | %d | %s | %d (%d) | %s | %d | %d | %d | %d | %s |"
                    % (name, a.hidden_size, a.num_heads, a.H_layers, a.L_layers, a.H_cycles,
                       a.L_cycles, a.expansion, a.inter, a.pos_encodings, a.puzzle_emb_ndim, a.Lp,
                       spec["N"] if a.puzzle_emb_ndim else "-", a.vocab_size, a.seq_len,
                       spec["B"], spec["segments"], notes[name]))
    ri = ROUNDTRIP_INIT
    rt_note = ""
    rt = os.path.join(out, "golden", "roundtrip", "checkpoint")
    if os.path.exists(rt):
        with zipfile.ZipFile(rt) as z:
            if any(i.date_time[0] != 1980 for i in z.infolist()):
                rt_note = ("\n  hrmscope writes the current time into the zip headers, so this case's"
                           "\n  checkpoint changes at every `make golden` although its contents do not.")
    with open(os.path.join(out, "golden", "README.md"), "w") as f:
        f.write(GOLDEN_README % dict(case_rows="\n".join(rows), f64_segments=F64_DRIFT_SEGMENTS,
                                     drift=format_drift(drift_rows), sweep=format_sweep(sweep),
                                     first=drift_rows[0][1], last=drift_rows[-1][1],
                                     rt_V=ri["vocab"],
                                     rt_S=ri["seq_len"], rt_N=ri["puzzle_ids"], rt_seed=ri["seed"], rt_B=ri["batch"], rt_note=rt_note,
                                     rt_segments=roundtrip_segments,
                                     mz_size=MAZE_CASE["size"], mz_count=MAZE_CASE["count"],
                                     mz_seed=MAZE_CASE["seed"], mz_tseed=MAZE_CASE["test_seed"],
                                     mz_exact=maze_exact))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="Write tests/fixtures/golden and tests/fixtures/bad.")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "fixtures"),
                    help="fixtures directory (default: tests/fixtures beside this script)")
    ap.add_argument("--hrmscope", help="hrmscope binary, for the roundtrip case")
    args = ap.parse_args()
    out = args.out

    drift = None
    for name, spec in CASES.items():
        arch, weights, inputs, pids = write_golden_case(out, name, spec)
        print("golden %-14s written" % name)
        if name == "rope_pe":
            drift = drift_table(arch, weights, inputs, pids, F64_DRIFT_SEGMENTS)
    write_rewritten_case(out, "rope_pe", "torch2_layout", "step_1000", zip64=False)
    write_rewritten_case(out, "rope_pe", "zip64", "archive", zip64=True)
    print("golden torch2_layout, zip64 written")

    if args.hrmscope and os.access(args.hrmscope, os.X_OK):
        write_roundtrip_case(out, args.hrmscope)
    elif args.hrmscope:
        print("roundtrip: %s not built, existing case left alone" % os.path.basename(args.hrmscope))

    maze_exact = None
    if args.hrmscope and os.access(args.hrmscope, os.X_OK):
        maze_exact = write_maze_case(out, args.hrmscope)
    elif args.hrmscope:
        print("maze_bf16: %s not built, existing case left alone" % os.path.basename(args.hrmscope))
    if maze_exact is None:  # keep what the README says
        maze_exact = maze_exact_from_readme(os.path.join(out, "golden", "README.md"))

    write_bad_cases(out)
    print("bad cases written")
    sweep = drift_sweep(SWEEP_SEEDS, F64_DRIFT_SEGMENTS)
    write_golden_readme(out, drift, sweep, CASES["rope_pe"]["segments"], maze_exact)

    print("\nfp32 vs fp64 free-running drift, rope_pe:")
    print(format_drift(drift))
    print("z_H max-abs rel drift, other weight draws of the rope_pe architecture:")
    print(format_sweep(sweep))
    verify(out)
    # The budget covers this script's output: golden/ and its own cases in bad/
    # (make_bad_inputs.py writes the others there, deflate_bomb alone 1 MB).
    # 2 MB for the fp32 cases, 0.5 MB more for the bf16 traces (issue 19).
    size = tree_size(os.path.join(out, "golden")) + sum(
        tree_size(os.path.join(out, "bad", c)) for c in BAD_CASES) + 4096
    print("golden + bad fixtures of make_golden.py: %d bytes in 4 KiB blocks (%.2f MiB)"
          % (size, size / 2 ** 20))
    if size > 2.5 * 1024 * 1024:
        raise SystemExit("golden + bad fixtures exceed 2.5 MB")


if __name__ == "__main__":
    main()
