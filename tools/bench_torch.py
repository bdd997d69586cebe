#!/usr/bin/env python3
"""PyTorch CPU baseline for `make bench` (bench/run_bench.sh, issues 4 and 6).

The same work as bench/bench_forward and bench/bench_train, done by the
project's own PyTorch reference model (tests/reference/hrm_ref.py, or
trm_ref.py when all_config.yaml names the TRM) in float32 on the checkpoint
`hrmscope init` wrote, with the same threads.  Prints one
JSON object per line.  forward --dtype bf16 runs the model as
model.to(torch.bfloat16) would (every weight, table and activation in
torch.bfloat16; torch's CPU bf16 matmuls go through its oneDNN, "mkldnn"),
the baseline of hrmscope --dtype bf16 (issue 19).

    bench_torch.py info    --threads N
    bench_torch.py sgemm   --threads N --size 1000 [--reps R]
    bench_torch.py forward --threads N --model DIR --seq-len S --batch B --segments K [--warmup 0|1]
                           [--dtype fp32|bf16] [--label L]
    bench_torch.py train   --threads N --model DIR --data DIR --batch B --grad one_step|full|last_cycle
                           --steps K --reps R --warmup W [--label L]

A TRM trains with --grad last_cycle (TRM's own: no gradient through the first
H_cycles - 1 cycles, the last cycle's L_cycles + 1 calls differentiated) and,
with no_ACT_continue, halts on q_halt > 0 with no continue target (no extra
segment), as tests/reference/train_trm_ref.py's step.

Threads: torch.set_num_threads(N) sets torch's own (OpenMP) threads; the BLAS
torch calls (Debian's torch: whatever libblas.so.3 the alternatives system
selects) has threads of its own, set here through openblas_set_num_threads
when that BLAS is OpenBLAS, besides OPENBLAS_NUM_THREADS in the environment.
`info` reports what torch really runs with.
"""

import argparse
import ctypes
import json
import math
import os
import re
import resource
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402

import hrm_ref as R  # noqa: E402
import train_ref as TR  # noqa: E402  (sets torch threads to 1 on import; reset below)
import trm_ref as TRM  # noqa: E402


# ---------------------------------------------------------------- threads and BLAS

def loaded_libraries(pattern=r"blas|lapack|gomp|omp|mkl"):
    """Shared libraries mapped into this process whose name matches."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and re.search(pattern, os.path.basename(parts[-1])):
                libs.add(parts[-1])
    return sorted(libs)


def openblas_lib():
    """The OpenBLAS torch's BLAS calls resolve to, or None."""
    for path in loaded_libraries(r"openblas|libblas"):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_num_threads  # noqa: B018 (probe)
            return lib
        except (OSError, AttributeError):
            continue
    return None


def set_threads(n):
    torch.set_num_threads(n)
    # make sure the BLAS is loaded (it is opened lazily by the first product)
    torch.ones(8, 8) @ torch.ones(8, 8)
    lib = openblas_lib()
    if lib is not None:
        lib.openblas_set_num_threads(ctypes.c_int(n))
    return lib


def short_path(p):
    """Last two components of a library path (no machine paths in reports)."""
    return "/".join(p.split("/")[-2:])


def cmd_info(a):
    lib = set_threads(a.threads)
    cfg = torch.__config__.show()
    m = re.search(r"BLAS_INFO=([^,]+)", cfg)
    out = {
        "kind": "torch_info",
        "torch": torch.__version__,
        "blas_info": m.group(1) if m else "?",
        "libraries": [short_path(p) for p in loaded_libraries()],
        "torch_threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "openblas_env": os.environ.get("OPENBLAS_NUM_THREADS", ""),
        "omp_env": os.environ.get("OMP_NUM_THREADS", ""),
        "parallel_backend": "OpenMP" if "OpenMP" in torch.__config__.parallel_info() else "?",
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
    }
    m = re.search(r"MKL-DNN v([0-9.]+)", cfg)
    if m:
        out["mkldnn_version"] = m.group(1)
    if lib is not None:
        lib.openblas_get_config.restype = ctypes.c_char_p
        out["openblas_config"] = lib.openblas_get_config().decode().strip()
        out["openblas_threads"] = lib.openblas_get_num_threads()
    print(json.dumps(out))


def cmd_sgemm(a):
    set_threads(a.threads)
    n = a.size
    g = torch.Generator().manual_seed(0)
    A = torch.rand(n, n, generator=g) * 2 - 1
    B = torch.rand(n, n, generator=g) * 2 - 1
    C = torch.empty(n, n)
    torch.mm(A, B, out=C)
    t0 = time.perf_counter()
    torch.mm(A, B, out=C)
    one = time.perf_counter() - t0
    k = max(1, min(10000, math.ceil(0.05 / max(one, 1e-9))))
    samples = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        for _ in range(k):
            torch.mm(A, B, out=C)
        samples.append((time.perf_counter() - t0) / k)
    t = float(np.median(samples))
    print(json.dumps({"kind": "sgemm", "impl": "torch", "label": "square%d" % n, "op": "square",
                      "M": n, "K": n, "N": n, "threads": a.threads, "reps": a.reps,
                      "calls_per_rep": k, "seconds": t, "gflops": 2.0 * n ** 3 / t * 1e-9}))


# ---------------------------------------------------------------- the model

def is_trm(cfg):
    return cfg.get("arch", cfg).get("name") == TRM.TRM_NAME


def load_model(model_dir, seq_len, dtype=torch.float32):
    """HRMRef (or TRMRef, by the name: in all_config.yaml) on DIR/checkpoint +
    DIR/all_config.yaml (written by hrmscope)."""
    sd = torch.load(os.path.join(model_dir, "checkpoint"), map_location="cpu")
    state = R.canonical_state(sd)
    with open(os.path.join(model_dir, "all_config.yaml")) as f:
        cfg = yaml.safe_load(f)
    trm = is_trm(cfg)
    arch = (TRM if trm else R).arch_from_config(cfg, state)
    arch.seq_len = seq_len
    if arch.num_puzzle_identifiers == 0:
        arch.num_puzzle_identifiers = 1
    return (TRM.TRMRef if trm else R.HRMRef)(arch, state, dtype)


def arch_name(m):
    return "TRM" if isinstance(m, TRM.TRMRef) else "HRM"


def to_bfloat16(m):
    """model.to(torch.bfloat16) for HRMRef (a dict of tensors, not a Module):
    every weight and the RoPE tables in bfloat16, so the embeddings, the
    carry and every activation computed from them are bfloat16 too."""
    bf = torch.bfloat16
    m.dtype = bf
    m.w = {k: v.to(bf).contiguous() for k, v in m.w.items()}
    a = m.arch
    if isinstance(m, TRM.TRMRef):  # one network for both updates
        net = [{r: m.w[n] for r, n in TRM.block_names(i, a.mlp_t).items()} for i in range(a.L_layers)]
        m.blocks = {"L_level": net, "H_level": net}
    else:
        m.blocks = {
            name: [{r: m.w[n] for r, n in R.block_names(name, i).items()} for i in range(layers)]
            for name, layers in (("H_level", a.H_layers), ("L_level", a.L_layers))
        }
    if m.cos is not None:
        m.cos, m.sin = m.cos.to(bf), m.sin.to(bf)
    return m


def bench_tokens(B, S, V):
    """The formula of bench/bench_common.c: both sides get the same inputs."""
    s = np.arange(S)
    tok = np.empty((B, S), dtype=np.int64)
    for b in range(B):
        tok[b] = 1 + (s * 7 + b * 13 + (s * s) % 5) % (V - 1)
    return torch.from_numpy(tok)


def summary(key, t):
    return {key + "_s": float(np.median(t)) if t else 0.0,
            key + "_min_s": float(min(t)) if t else 0.0,
            key + "_max_s": float(max(t)) if t else 0.0,
            key + "_n": len(t)}


@torch.no_grad()
def cmd_forward(a):
    set_threads(a.threads)
    m = load_model(a.model, a.seq_len)
    if a.dtype == "bf16":
        to_bfloat16(m)
    arch = m.arch
    B = a.batch
    x = m.input_embedding(bench_tokens(B, a.seq_len, arch.vocab_size), torch.zeros(B, dtype=torch.long))
    zH, zL = m.initial_carry(B)
    if a.warmup:
        m.L_step(zL, zH, x)  # warm-up, as the C side does one module call
    t_l, t_h, t_seg = [], [], []
    checksum = [0.0, 0.0]
    for s in range(a.segments):
        seg = 0.0
        for i in range(arch.H_cycles):
            for _ in range(arch.L_cycles):
                t0 = time.perf_counter()
                zL = m.L_step(zL, zH, x)
                dt = time.perf_counter() - t0
                t_l.append(dt)
                seg += dt
            t0 = time.perf_counter()
            zH = m.H_step(zH, zL)
            if i == arch.H_cycles - 1:  # the engine computes the heads with the last H-step
                logits, q_halt, q_cont = m.heads(zH)
                logits.argmax(-1)
            dt = time.perf_counter() - t0
            t_h.append(dt)
            seg += dt
        t_seg.append(seg)
        if s == 0:
            z0 = zH[0].double()
            checksum = [float(z0.sum()), float((z0 * z0).sum())]
    out = {"kind": "forward", "impl": "torch", "label": a.label, "B": B, "S": a.seq_len, "T": arch.T,
           "d": arch.hidden_size, "threads": a.threads, "segments": a.segments, "warmup": a.warmup,
           "dtype": a.dtype, "arch": arch_name(m)}
    out.update(summary("l_step", t_l))
    out.update(summary("h_step", t_h))
    out.update(summary("segment", t_seg))
    out["checksum"] = checksum
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


# ---------------------------------------------------------------- training

IGNORE = -100


class Data:
    """The first split of an official dataset folder (as `hrmscope gen` writes it),
    visited in order, as bench/bench_train.c does."""

    def __init__(self, d):
        split = os.path.join(d, "train")
        with open(os.path.join(split, "dataset.json")) as f:
            meta = json.load(f)
        self.inputs = np.load(os.path.join(split, "all__inputs.npy")).astype(np.int64)
        labels = np.load(os.path.join(split, "all__labels.npy")).astype(np.int64)
        ign = meta.get("ignore_label_id")
        if ign is not None:
            labels[labels == ign] = IGNORE
        self.labels = labels
        pids = np.load(os.path.join(split, "all__puzzle_identifiers.npy")).astype(np.int64)
        pidx = np.load(os.path.join(split, "all__puzzle_indices.npy")).astype(np.int64)
        # example i belongs to puzzle p with pidx[p] <= i < pidx[p + 1]
        self.pid = pids[np.searchsorted(pidx, np.arange(len(self.inputs)), side="right") - 1]
        self.next = 0

    def take(self):
        i = self.next % len(self.inputs)
        self.next += 1
        return self.inputs[i], self.labels[i], self.pid[i]


class Trainer:
    """One deep-supervision step as the C trainer runs it (train_segment, then
    clipping, AdamW and sign-SGD for the puzzle embeddings), in float32 autograd.
    The step follows tests/reference/train_ref.py (float64 there, the
    gradient oracle), or train_trm_ref.py for a TRM (--grad last_cycle);
    exploration is off on both sides."""

    def __init__(self, m, data, B, grad, lr=1e-3, wd=0.1, clip=1.0, pe_lr=1e-2, pe_wd=0.1):
        self.m, self.data, self.B, self.grad = m, data, B, grad
        self.clip, self.pe_lr, self.pe_wd, self.lr = clip, pe_lr, pe_wd, lr
        a = m.arch
        for k, v in m.w.items():
            if k not in ("H_init", "L_init"):
                v.requires_grad_(True)
        self.params = [v for k, v in m.w.items() if k not in ("H_init", "L_init", "puzzle_emb.weights")]
        self.pe = m.w.get("puzzle_emb.weights")
        self.opt = torch.optim.AdamW(self.params, lr=lr, betas=(0.9, 0.95), weight_decay=wd, eps=1e-8)
        S = a.seq_len
        self.inputs = torch.zeros(B, S, dtype=torch.long)
        self.labels = torch.full((B, S), IGNORE, dtype=torch.long)
        self.pids = torch.zeros(B, dtype=torch.long)
        self.zH = torch.zeros(B, a.T, a.hidden_size)
        self.zL = torch.zeros(B, a.T, a.hidden_size)
        self.steps = torch.zeros(B, dtype=torch.long)
        self.halted = torch.ones(B, dtype=torch.bool)
        self.M = a.halt_max_steps

    def refill(self):
        for r in torch.nonzero(self.halted).flatten().tolist():
            inp, lab, pid = self.data.take()
            self.inputs[r] = torch.from_numpy(inp)
            self.labels[r] = torch.from_numpy(lab)
            self.pids[r] = int(pid)

    def step(self):
        m, B = self.m, self.B
        self.refill()
        self.opt.zero_grad(set_to_none=True)
        if self.pe is not None:
            self.pe.grad = None
        reset = self.halted.view(-1, 1, 1)
        zH = torch.where(reset, m.w["H_init"], self.zH)
        zL = torch.where(reset, m.w["L_init"], self.zL)
        steps = torch.where(self.halted, torch.zeros_like(self.steps), self.steps)
        x = m.input_embedding(self.inputs, self.pids)
        Hc, Lc = m.arch.H_cycles, m.arch.L_cycles
        if self.grad == "one_step":
            with torch.no_grad():
                for i in range(Hc):
                    for j in range(Lc):
                        if not (i == Hc - 1 and j == Lc - 1):
                            zL = m.L_step(zL, zH, x)
                    if i != Hc - 1:
                        zH = m.H_step(zH, zL)
            zL = m.L_step(zL, zH, x)
            zH = m.H_step(zH, zL)
        elif self.grad == "last_cycle":  # TRM's: the first H_cycles - 1 cycles without gradient
            with torch.no_grad():
                for _ in range(Hc - 1):
                    for _ in range(Lc):
                        zL = m.L_step(zL, zH, x)
                    zH = m.H_step(zH, zL)
            for _ in range(Lc):
                zL = m.L_step(zL, zH, x)
            zH = m.H_step(zH, zL)
        else:
            zH, zL = m.segment(zH, zL, x)
        logits, q_halt, q_cont = m.heads(zH)
        # TRM with no_ACT_continue: halting on q_halt > 0, no continue target
        trm = isinstance(m, TRM.TRMRef)
        q_cont_used = not (trm and m.arch.no_ACT_continue)
        with torch.no_grad():
            steps = steps + 1
            is_last = steps >= self.M
            if self.M > 1:
                rule = m.halts(q_halt, q_cont) if trm else q_halt > q_cont
                halted = is_last | rule
            else:
                halted = is_last
            if self.M > 1 and q_cont_used:
                nzH, _ = m.segment(zH.detach(), zL.detach(), x.detach())
                _, nqh, nqc = m.heads(nzH)
                target = torch.sigmoid(torch.where(is_last, nqh, torch.maximum(nqh, nqc)))
            mask = self.labels != IGNORE
            counts = mask.sum(-1)
            divisor = counts.clamp_min(1).unsqueeze(-1)
            exact = (mask & (logits.argmax(-1) == self.labels)).sum(-1) == counts
        lm = (TR.stablemax_cross_entropy(logits, self.labels) / divisor).sum()
        loss = lm + 0.5 * F.binary_cross_entropy_with_logits(q_halt, exact.float(), reduction="sum")
        if self.M > 1 and q_cont_used:
            loss = loss + 0.5 * F.binary_cross_entropy_with_logits(q_cont, target, reduction="sum")
        (loss / B).backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.opt.step()
        if self.pe is not None and self.pe.grad is not None:
            with torch.no_grad():
                rows = torch.unique(self.pids)
                g = self.pe.grad[rows]
                self.pe[rows] = self.pe[rows] * (1 - self.pe_lr * self.pe_wd) - self.pe_lr * torch.sign(g)
        self.zH, self.zL = zH.detach(), zL.detach()
        self.steps, self.halted = steps, halted
        return float(loss) / B


def cmd_train(a):
    set_threads(a.threads)
    data = Data(a.data)
    m = load_model(a.model, data.inputs.shape[1])
    tr = Trainer(m, data, a.batch, a.grad)
    first_loss = None
    for _ in range(a.warmup):
        loss = tr.step()
        first_loss = loss if first_loss is None else first_loss
    rates, losses = [], []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            losses.append(tr.step())
        rates.append(a.steps / (time.perf_counter() - t0))
    print(json.dumps({"kind": "train", "impl": "torch", "label": a.label, "arch": arch_name(m), "B": a.batch,
                      "S": m.arch.seq_len, "d": m.arch.hidden_size, "grad": a.grad,
                      "threads": a.threads, "steps_per_rep": a.steps, "reps": a.reps,
                      "steps_per_s": float(np.median(rates)), "min_steps_per_s": min(rates),
                      "max_steps_per_s": max(rates), "first_loss": first_loss, "last_loss": losses[-1],
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info")
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("sgemm")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--reps", type=int, default=5)
    p = sub.add_parser("forward")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", required=True)
    p.add_argument("--seq-len", type=int, required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--segments", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1, help="1: one L-step before timing")
    p.add_argument("--dtype", choices=("fp32", "bf16"), default="fp32",
                   help="bf16: the model as model.to(torch.bfloat16)")
    p.add_argument("--label", default="model")
    p = sub.add_parser("train")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--grad", choices=("one_step", "full", "last_cycle"), default="one_step")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--label", default="model")
    a = ap.parse_args()
    {"info": cmd_info, "sgemm": cmd_sgemm, "forward": cmd_forward, "train": cmd_train}[a.cmd](a)


if __name__ == "__main__":
    main()
