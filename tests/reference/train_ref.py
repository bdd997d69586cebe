#!/usr/bin/env python3
"""Reference training step of the Hierarchical Reasoning Model for hrmscope's
C trainer (src/train/train.h): one deep-supervision segment on a carried batch, its
loss and the gradient of every tensor, in float64 with torch autograd.

    train_ref.py [--out tests/fixtures]

writes <out>/train/<case>/{checkpoint, all_config.yaml, step} and a README.
Deterministic (fixed seeds), so regenerating leaves git clean.

Written from the project's HRM spec ("Training") and the official ACT wrapper's
semantics (models/hrm/hrm_act_v1.py, models/losses.py, pretrain.py):

  - rows flagged halted start over: z_H, z_L = H_init, L_init, steps = 0;
  - one segment; with the 1-step gradient every module call but the last L and
    the last H call runs under no_grad; with the full gradient every call is
    differentiated (the carry at the segment start is a constant);
  - logits = lm_head(z_H)[:, Lp:], (q_halt, q_continue) = q_head(z_H[:, 0]);
  - steps += 1; halted = steps >= M, or q_halt > q_continue (M > 1), with
    exploration's minimum step count (0 here: exploration off);
  - target_q_continue = sigmoid(q_halt' if at the last step else
    max(q_halt', q_continue')) from one more no-grad segment on the new carry;
  - loss = sum_b mean_cells CE + 0.5 (BCE(q_halt, exact) + BCE(q_continue,
    target)), summed over the batch; backward of loss * grad_scale (1/B).

H_init and L_init are buffers (zero gradient); puzzle_emb.weights gets the
gradient of the rows used, summed per identifier, as the official sparse
embedding's sign-SGD sees it.  The model here is the team's forward reference
(hrm_ref.py) with its float64 weights made leaf tensors.
"""

import argparse
import collections
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import yaml

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_ref as R  # noqa: E402

torch.set_num_threads(1)  # summation order independent of the machine

IGNORE_LABEL_ID = -100
GRAD_MODES = {"one_step": 0, "full": 1}

# d 8 (not 16): each layer costs at least 3 * 256 * d floats for the SwiGLU and
# the gradients double that; at d 8 both cases stay near 200 KB, which the
# fixtures tree's 2 MB budget can still hold.  N 5 != B 3 and heads 2 != head_dim 4
# so that no index can be confused with another without a test noticing.
BASE_ARCH = dict(hidden_size=8, num_heads=2, H_layers=1, L_layers=1, H_cycles=2, L_cycles=2,
                 expansion=4, halt_max_steps=4, halt_exploration_prob=0.0)
CASES = {
    "one_step": dict(arch=dict(BASE_ARCH, puzzle_emb_ndim=8, pos_encodings="rope"),
                     grad="one_step", loss="stablemax_cross_entropy",
                     V=6, S=8, N=5, B=3, seed=4100),
    "full": dict(arch=dict(BASE_ARCH, puzzle_emb_ndim=12, pos_encodings="learned"),
                 grad="full", loss="stablemax_cross_entropy",
                 V=6, S=8, N=5, B=3, seed=4200),
}

# The fixture must not sit near a decision boundary that float32 rounding in
# the C forward could flip: argmax of every labelled cell, the sign of q_halt
# (q_halt_accuracy), and q_halt - q_continue (halting).
ARGMAX_MARGIN = 1e-3
Q_MARGIN = 0.05


def own(t):
    """A contiguous tensor with a storage of its own."""
    return t.detach().contiguous().clone()


def make_arch(spec):
    a = R.Arch(**spec["arch"])
    a.vocab_size, a.seq_len = spec["V"], spec["S"]
    a.num_puzzle_identifiers = spec["N"] if a.puzzle_emb_ndim > 0 else 0
    return a


def all_config(arch, case, loss):
    """The shape of the official trainer's all_config.yaml."""
    project = "Train-%s ACT-torch" % case
    run = "HierarchicalReasoningModel_ACTV1 train-%s" % case
    return {
        "arch": {
            "name": "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1",
            "loss": {"name": "losses@ACTLossHead", "loss_type": loss},
            "H_cycles": arch.H_cycles, "L_cycles": arch.L_cycles,
            "H_layers": arch.H_layers, "L_layers": arch.L_layers,
            "hidden_size": arch.hidden_size, "num_heads": arch.num_heads,
            "expansion": arch.expansion, "puzzle_emb_ndim": arch.puzzle_emb_ndim,
            "pos_encodings": arch.pos_encodings,
            "halt_max_steps": arch.halt_max_steps,
            "halt_exploration_prob": arch.halt_exploration_prob,
        },
        "data_path": "data/maze-30x30-hard-1k",
        "global_batch_size": 3, "epochs": 20000,
        "lr": 1e-4, "lr_min_ratio": 1.0, "lr_warmup_steps": 2000,
        "weight_decay": 1.0, "beta1": 0.9, "beta2": 0.95,
        "puzzle_emb_lr": 1e-4, "puzzle_emb_weight_decay": 1.0,
        "seed": 0, "checkpoint_every_eval": True, "eval_interval": 2000,
        "eval_save_outputs": [],
        "project_name": project, "run_name": run,
        "checkpoint_path": "checkpoints/%s/%s" % (project, run),
    }


# ---------------------------------------------------------------- the step

def stablemax_cross_entropy(logits, labels):
    """models/losses.py: log of s(x) / sum s(x), s(x) = 1/(1-x) (x < 0) or x+1."""
    x = logits.to(torch.float64)
    s = torch.where(x < 0, 1 / (1 - x + 1e-30), x + 1)
    logp = torch.log(s / s.sum(-1, keepdim=True))
    valid = labels != IGNORE_LABEL_ID
    lab = torch.where(valid, labels, torch.zeros_like(labels)).long()
    picked = torch.gather(logp, -1, lab.unsqueeze(-1)).squeeze(-1)
    return -torch.where(valid, picked, torch.zeros_like(picked))


def softmax_cross_entropy(logits, labels):
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), labels.long().reshape(-1),
                           ignore_index=IGNORE_LABEL_ID, reduction="none").view(labels.shape)


LOSSES = {"stablemax_cross_entropy": stablemax_cross_entropy,
          "softmax_cross_entropy": softmax_cross_entropy}


def make_model(arch, weights):
    """HRMRef in float64 whose weights are leaves that collect gradients
    (HRMRef's blocks table holds the same tensor objects)."""
    m = R.HRMRef(arch, weights, torch.float64)
    for k, v in m.w.items():
        if k not in ("H_init", "L_init"):  # buffers
            v.requires_grad_(True)
    return m


def train_step(m, batch, grad, loss_name, M, grad_scale, q_learning=True, min_halt_steps=None):
    """One segment of the official ACT training step; returns a dict of
    results (gradients are left in m.w[k].grad)."""
    B = batch["inputs"].shape[0]
    halted = batch["halted"]
    reset = halted.view(-1, 1, 1)
    zH = torch.where(reset, m.w["H_init"], batch["zH"].double())
    zL = torch.where(reset, m.w["L_init"], batch["zL"].double())
    steps = torch.where(halted, torch.zeros_like(batch["steps"]), batch["steps"])

    x = m.input_embedding(batch["inputs"], batch["puzzle_ids"])
    Hc, Lc = m.arch.H_cycles, m.arch.L_cycles
    if grad == "one_step":
        with torch.no_grad():
            for i in range(Hc):
                for j in range(Lc):
                    if not (i == Hc - 1 and j == Lc - 1):
                        zL = m.L_step(zL, zH, x)
                if i != Hc - 1:
                    zH = m.H_step(zH, zL)
        zL = m.L_step(zL, zH, x)
        zH = m.H_step(zH, zL)
    else:
        zH, zL = m.segment(zH, zL, x)
    logits, q_halt, q_cont = m.heads(zH)

    with torch.no_grad():
        steps = steps + 1
        is_last = steps >= M
        new_halted = is_last.clone()
        act = q_learning and M > 1
        if act:
            new_halted |= q_halt > q_cont
            if min_halt_steps is not None:
                new_halted &= steps >= min_halt_steps
            nzH, _ = m.segment(zH.detach(), zL.detach(), x.detach())
            _, nqh, nqc = m.heads(nzH)
            target = torch.sigmoid(torch.where(is_last, nqh, torch.maximum(nqh, nqc)))

        labels = batch["labels"]
        mask = labels != IGNORE_LABEL_ID
        counts = mask.sum(-1)
        divisor = counts.clamp_min(1).unsqueeze(-1)
        is_correct = mask & (torch.argmax(logits, dim=-1) == labels)
        exact = is_correct.sum(-1) == counts
        valid = new_halted & (counts > 0)
        metrics = torch.tensor([
            float(valid.sum()),
            float(torch.where(valid, (is_correct.double() / divisor).sum(-1), torch.zeros(B, dtype=torch.float64)).sum()),
            float((valid & exact).sum()),
            float((valid & ((q_halt >= 0) == exact)).sum()),
            float(torch.where(valid, steps, torch.zeros_like(steps)).sum()),
        ], dtype=torch.float64)

    lm = (LOSSES[loss_name](logits, labels) / divisor).sum()
    zero = torch.zeros((), dtype=torch.float64)
    qh_loss = F.binary_cross_entropy_with_logits(q_halt, exact.double(), reduction="sum") if q_learning else zero
    qc_loss = F.binary_cross_entropy_with_logits(q_cont, target, reduction="sum") if act else zero
    total = lm + 0.5 * (qh_loss + qc_loss)
    (grad_scale * total).backward()

    return dict(
        loss=torch.tensor([total.item(), lm.item(), qh_loss.item(), qc_loss.item()], dtype=torch.float64),
        metrics=metrics, zH=zH.detach(), zL=zL.detach(), steps=steps.to(torch.int32),
        halted=new_halted, logits=logits.detach(), q=torch.stack((q_halt, q_cont), -1).detach(),
        target=target if act else torch.zeros(B, dtype=torch.float64),
        exact=exact, is_last=is_last, mask=mask)


# ---------------------------------------------------------------- the batch

def carried_state(arch, weights, rows, segments, seed):
    """Realistic z_H, z_L for carried rows: the state after some segments on
    other inputs, rounded to float32 as the C trainer keeps it."""
    rng = np.random.default_rng(seed)
    m = R.HRMRef(arch, weights, torch.float64)
    inp = torch.from_numpy(rng.integers(1, arch.vocab_size, size=(rows, arch.seq_len)))
    pid = torch.from_numpy(rng.integers(0, max(arch.num_puzzle_identifiers, 1), size=(rows,)))
    zH, zL = [], []
    for r in range(rows):
        out = R.run(m, inp[r:r + 1], pid[r:r + 1], segments[r])
        zH.append(out[-1][0].float())
        zL.append(out[-1][1].float())
    return torch.cat(zH), torch.cat(zL)


def draft_batch(arch, spec, weights, seed):
    """Row 0 is a new sample (halted: its stale carry is NaN so that any leak
    shows), rows 1 and 2 carry over; row 2 reaches M in this step."""
    rng = np.random.default_rng(seed)
    B, S, V, M = spec["B"], arch.seq_len, arch.vocab_size, arch.halt_max_steps
    inputs = rng.integers(1, V, size=(B, S))
    inputs[rng.random((B, S)) < 0.15] = 0
    pids = rng.integers(0, max(arch.num_puzzle_identifiers, 1), size=(B,))
    if arch.num_puzzle_identifiers:
        pids[1] = pids[2]  # two rows share an identifier: their gradients add up
    labels = rng.integers(0, V, size=(B, S))
    labels[rng.random((B, S)) < 0.25] = IGNORE_LABEL_ID
    labels[:, 0] = rng.integers(0, V, size=(B,))  # every row keeps labels
    zH, zL = carried_state(arch, weights, B, [1, 1, 2], seed + 1)
    zH[0] = float("nan")
    zL[0] = float("nan")
    return dict(
        inputs=torch.from_numpy(inputs.astype(np.int32)),
        labels=torch.from_numpy(labels.astype(np.int32)),
        puzzle_ids=torch.from_numpy(pids.astype(np.int32)),
        zH=zH, zL=zL,
        steps=torch.tensor([5, 1, M - 1], dtype=torch.int32),
        halted=torch.tensor([True, False, False]),
    )


def margins_ok(r, M):
    """No decision within float32 reach of its boundary."""
    top2 = r["logits"].topk(2, dim=-1).values
    gap = (top2[..., 0] - top2[..., 1])[r["mask"]]
    q = r["q"]
    return bool(gap.min() > ARGMAX_MARGIN and q[:, 0].abs().min() > Q_MARGIN
                and (q[:, 0] - q[:, 1]).abs().min() > Q_MARGIN)


def build_case(name, spec):
    """Weights and batch such that one of rows 0/1 halts on q and the other
    does not, the halting one is exactly right (labels = its prediction on
    the labelled cells), and row 2 halts at M: every branch of the step is
    taken.  q_head.bias[0] is shifted to place the halting threshold between
    rows 0 and 1 (q does not feed back into the recurrence)."""
    arch = make_arch(spec)
    M = arch.halt_max_steps
    for attempt in range(50):
        seed = spec["seed"] + attempt
        weights = R.random_weights(arch, seed)
        batch = draft_batch(arch, spec, weights, seed + 1000)
        r = train_step(make_model(arch, weights), batch, "full", spec["loss"], M, 1.0)
        diff = (r["q"][:, 0] - r["q"][:, 1]).tolist()
        if abs(diff[0] - diff[1]) < 4 * Q_MARGIN:
            continue
        b = weights["q_head.bias"].clone()
        b[0] -= (diff[0] + diff[1]) / 2
        weights["q_head.bias"] = b.float()
        r = train_step(make_model(arch, weights), batch, "full", spec["loss"], M, 1.0)
        halts = int(r["q"][1, 0] > r["q"][1, 1])  # the row among 0/1 that halts on q
        pred = r["logits"].argmax(-1).to(torch.int32)
        keep = batch["labels"][halts] != IGNORE_LABEL_ID
        batch["labels"][halts] = torch.where(keep, pred[halts], batch["labels"][halts])
        r = train_step(make_model(arch, weights), batch, "full", spec["loss"], M, 1.0)
        want = [halts == 0, halts == 1, True]
        if r["halted"].tolist() != want or r["exact"].tolist() != want[:2] + [False]:
            continue
        if not margins_ok(r, M):
            continue
        return arch, weights, batch, seed
    raise SystemExit("%s: no seed gave a batch away from every decision boundary" % name)


# ---------------------------------------------------------------- writing

def write_case(out, name, spec):
    arch, weights, batch, seed = build_case(name, spec)
    d = os.path.join(out, "train", name)
    os.makedirs(d, exist_ok=True)
    torch.save(R.prefixed_state(weights), os.path.join(d, "checkpoint"))
    with open(os.path.join(d, "all_config.yaml"), "w") as f:
        yaml.dump(all_config(arch, name, spec["loss"]), f)

    B = spec["B"]
    m = make_model(arch, weights)
    r = train_step(m, batch, spec["grad"], spec["loss"], arch.halt_max_steps, 1.0 / B)
    t = collections.OrderedDict()
    for k in ("inputs", "labels", "puzzle_ids", "zH", "zL", "steps", "halted"):
        t[k] = own(batch[k])
    # [grad mode (0 one-step, 1 full), halt_max_steps, q_learning]; exploration off
    t["opts"] = torch.tensor([GRAD_MODES[spec["grad"]], arch.halt_max_steps, 1], dtype=torch.int32)
    t["grad_scale"] = torch.tensor([1.0 / B], dtype=torch.float64)
    t["loss"] = own(r["loss"])        # total, lm, q_halt, q_continue
    t["metrics"] = own(r["metrics"])  # count, accuracy, exact, q_halt_accuracy, steps
    t["q"] = own(r["q"])
    t["target_q_continue"] = own(r["target"])
    t["new.zH"] = own(r["zH"])
    t["new.zL"] = own(r["zL"])
    t["new.steps"] = own(r["steps"])
    t["new.halted"] = own(r["halted"])
    worst = 0.0
    for k in R.expected_shapes(arch):
        g = m.w[k].grad
        if g is None:
            g = torch.zeros_like(m.w[k])
        # float32 keeps 6e-8 of a float64 gradient, far below the 1e-4 checked
        t["grad." + k] = own(g.float())
        if g.abs().max() > 0:
            worst = max(worst, ((g.float().double() - g).norm() / g.norm()).item())
    torch.save(dict(t), os.path.join(d, "step"))
    print("train %-9s seed %d: loss %.6f (lm %.6f, q_halt %.6f, q_continue %.6f), halted %s, "
          "float32 rounding of the gradients %.1e"
          % (name, seed, *r["loss"].tolist(), r["halted"].tolist(), worst))
    return arch


README = """\
# Training-step fixtures

Written by `tests/reference/train_ref.py` (`make golden`): the float64 PyTorch
reference of one deep-supervision training step (HRM spec "Training", the
official `hrm_act_v1.py` ACT wrapper and `losses.py`), checked against the C
trainer by `tests/check_train.c`. Deterministic; do not edit by hand.

Each case directory holds `checkpoint` (official layout: `torch.save` of an
OrderedDict, keys `_orig_mod.model.inner.<name>`, float32, H_init/L_init
bfloat16), `all_config.yaml` (the official trainer's shape) and `step`
(`torch.save` of a dict of tensors):

- the batch: `inputs`, `labels` (int32 [B,S], -100 = ignored), `puzzle_ids`
  (int32 [B]), the carry `zH`, `zL` (float32 [B,T,d]; NaN in the halted row,
  whose carry must be replaced), `steps` (int32 [B]), `halted` (bool [B]);
- `opts` int32 [grad mode (0 one-step, 1 full), halt_max_steps, q_learning];
  exploration is off; `grad_scale` float64 [1] = 1/B;
- expected: `loss` float64 [total, lm, q_halt, q_continue] (sums over the
  rows), `metrics` float64 [count, accuracy, exact, q_halt_accuracy, steps],
  `q` [B,2], `target_q_continue` [B], the new carry `new.zH`, `new.zL`
  (float64), `new.steps`, `new.halted`;
- `grad.<name>` (float32, from float64) for every tensor of the model:
  d(loss * grad_scale)/d(tensor); zero for H_init/L_init (buffers);
  `grad.puzzle_emb.weights` holds the rows used, summed per identifier.

| case | d | heads | H/L layers | H/L cycles | pos | P (Lp) | N | V | S | B | M | gradient | loss |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
%(rows)s

Row 0 is a new sample (its stale carry is NaN), rows 1 and 2 carry a state
reached after 1 and 2 segments from H_init/L_init on other inputs; rows 1 and
2 share a puzzle identifier. Row 2 reaches M in this step (its Q target is
sigmoid(q_halt')). `q_head.bias[0]` is shifted so that exactly one of rows 0/1
halts on q_halt > q_continue, and that row's labels are its own predictions,
so the halt target, the metrics and both Q-target branches are all exercised.
Every argmax decision of a labelled cell is %(am)g away from a tie, and |q_halt|
and |q_halt - q_continue| exceed %(qm)g, so float32 rounding in C cannot flip a
decision.
"""


def write_readme(out, archs):
    rows = []
    for name, spec in CASES.items():
        a = archs[name]
        rows.append("| `%s` | %d | %d | %d/%d | %d/%d | %s | %d (%d) | %s | %d | %d | %d | %d | %s | %s |"
                    % (name, a.hidden_size, a.num_heads, a.H_layers, a.L_layers, a.H_cycles,
                       a.L_cycles, a.pos_encodings, a.puzzle_emb_ndim, a.Lp,
                       spec["N"] if a.puzzle_emb_ndim else "-", a.vocab_size, a.seq_len, spec["B"],
                       a.halt_max_steps, spec["grad"], spec["loss"].split("_")[0]))
    with open(os.path.join(out, "train", "README.md"), "w") as f:
        f.write(README % dict(rows="\n".join(rows), am=ARGMAX_MARGIN, qm=Q_MARGIN))


def tree_size(path):
    """Bytes on disk as du counts them on a 4 KiB-block file system."""
    total = 0
    for root, _, files in os.walk(path):
        total += 4096
        for f in files:
            total += -(-os.path.getsize(os.path.join(root, f)) // 4096) * 4096
    return total


def main():
    ap = argparse.ArgumentParser(description="Write tests/fixtures/train.")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "fixtures"),
                    help="fixtures directory (default: tests/fixtures beside this script)")
    args = ap.parse_args()
    archs = {name: write_case(args.out, name, spec) for name, spec in CASES.items()}
    write_readme(args.out, archs)
    size = tree_size(os.path.join(args.out, "train"))
    print("train fixtures: %d bytes in 4 KiB blocks (%.0f KiB)" % (size, size / 1024))
    if size > 300 * 1024:
        raise SystemExit("train fixtures exceed 300 KB")


if __name__ == "__main__":
    main()
