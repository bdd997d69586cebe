#!/usr/bin/env python3
"""Reference training step of the Tiny Recursive Model for hrmscope's C
trainer: one deep-supervision segment on a carried batch, its loss and the
gradient of every tensor, in float64 with torch autograd.

    train_trm_ref.py [--out tests/fixtures] [--official DIR]

writes <out>/train_trm/<case>/{checkpoint, all_config.yaml, step} and a
README, in the layout of train_ref.py's fixtures (tests/check_train.c reads
both).  Deterministic (fixed seeds), so regenerating leaves git clean.

Written from the project's TRM spec ("Gradient: the last full recursion",
"ACT and loss") and the official code's semantics (models/recursive_reasoning/
trm.py, models/losses.py), on the team's forward reference trm_ref.py:

  - rows flagged halted start over: z_H, z_L = H_init, L_init, steps = 0;
  - the first H_cycles - 1 cycles (each L_cycles latent updates
    z_L = net(z_L, z_H + x) and one answer update z_H = net(z_H, z_L)) run
    under no_grad; the last cycle's L_cycles + 1 calls of the one network are
    differentiated, x receiving gradient on each latent update;
  - logits = lm_head(z_H)[:, Lp:], (q_halt, q_continue) = q_head(z_H[:, 0]);
  - steps += 1; halted = steps >= M, or q_halt > 0 (no_ACT_continue; M > 1);
    exploration off; no extra segment and no continue target;
  - loss = sum_b mean_cells CE + 0.5 BCE(q_halt, exact), summed over the
    batch; backward of loss * grad_scale (1/B).

With --official DIR (a TinyRecursiveModels checkout) each case's step is also
run through the official ACTLossHead(TinyRecursiveReasoningModel_ACTV1) in
float32 training mode (check_trm_official.py's stand-ins for what Debian's
torch lacks), and every parameter gradient (the puzzle rows from the sparse
embedding's local_weights, summed per identifier) and the loss must agree
with this reference within 1e-4 relative: the reference's gradient is the
official one.  Nothing of the official code is copied here.
"""

import argparse
import collections
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import yaml

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_ref as R  # noqa: E402
import train_ref as TR  # noqa: E402
import trm_ref as T  # noqa: E402

torch.set_num_threads(1)  # summation order independent of the machine

IGNORE_LABEL_ID = -100
GRAD_LAST_CYCLE = 2  # opts[0] in the step file: 0 one-step, 1 full, 2 last cycle

# d 16 with the SwiGLU's minimum width 256: 12288 floats per layer, stored
# as weights and as gradients; two attention layers and one mlp_t layer keep
# both cases near 400 KB.  N 5 != B 3, heads 2 != head_dim 8, Lp 2 != 3, and
# H_cycles != L_cycles so that no index can stand in for another unnoticed.
CASES = collections.OrderedDict([
    ("att", dict(arch=dict(hidden_size=16, num_heads=2, H_layers=0, L_layers=2, H_cycles=3, L_cycles=2,
                           expansion=4, puzzle_emb_ndim=16, pos_encodings="rope", puzzle_emb_len=2,
                           mlp_t=False),
                 loss="stablemax_cross_entropy", V=6, S=8, N=5, B=3, seed=5100)),
    # puzzle row of 24 floats over 3 prefix tokens of 16: the second is half
    # padding, the third all padding.  Both cases use stablemax, the loss of
    # the published TRM runs: the official losses.py cannot run its softmax
    # loss on a TRM (it passes valid_mask=, which softmax_cross_entropy does
    # not take, and that function .view()s the logits sliced past the prefix)
    ("mlpt", dict(arch=dict(hidden_size=16, num_heads=2, H_layers=0, L_layers=1, H_cycles=2, L_cycles=3,
                            expansion=4, puzzle_emb_ndim=24, pos_encodings="none", puzzle_emb_len=3,
                            mlp_t=True),
                  loss="stablemax_cross_entropy", V=6, S=8, N=5, B=3, seed=5200)),
])
M_STEPS = 4


def make_arch(spec):
    a = T.TRMArch(halt_max_steps=M_STEPS, halt_exploration_prob=0.0, no_ACT_continue=True, **spec["arch"])
    a.vocab_size, a.seq_len = spec["V"], spec["S"]
    a.num_puzzle_identifiers = spec["N"] if a.puzzle_emb_ndim > 0 else 0
    return a


def all_config(arch, case, loss):
    """The shape of the official trainer's all_config.yaml for a TRM."""
    project = "Train-trm-%s ACT-torch" % case
    run = "TinyRecursiveReasoningModel_ACTV1 train-%s" % case
    return {
        "arch": {
            "name": T.TRM_NAME,
            "loss": {"name": "losses@ACTLossHead", "loss_type": loss},
            "H_cycles": arch.H_cycles, "L_cycles": arch.L_cycles,
            "H_layers": 0, "L_layers": arch.L_layers,
            "hidden_size": arch.hidden_size, "num_heads": arch.num_heads,
            "expansion": arch.expansion, "puzzle_emb_ndim": arch.puzzle_emb_ndim,
            "pos_encodings": arch.pos_encodings,
            "halt_max_steps": arch.halt_max_steps,
            "halt_exploration_prob": arch.halt_exploration_prob,
            "forward_dtype": "bfloat16",
            "mlp_t": arch.mlp_t, "puzzle_emb_len": arch.puzzle_emb_len,
            "no_ACT_continue": arch.no_ACT_continue,
        },
        "data_path": "data/maze-30x30-hard-1k",
        "global_batch_size": 3, "epochs": 50000,
        "lr": 1e-4, "lr_min_ratio": 1.0, "lr_warmup_steps": 2000,
        "weight_decay": 1.0, "beta1": 0.9, "beta2": 0.95,
        "puzzle_emb_lr": 1e-4, "puzzle_emb_weight_decay": 1.0,
        "seed": 0, "checkpoint_every_eval": True, "eval_interval": 5000,
        "ema": True, "ema_rate": 0.999, "freeze_weights": False,
        "project_name": project, "run_name": run,
        "checkpoint_path": "checkpoints/%s/%s" % (project, run),
    }


# ---------------------------------------------------------------- the step

def make_model(arch, weights):
    """TRMRef in float64 whose weights are leaves that collect gradients."""
    m = T.TRMRef(arch, weights, torch.float64)
    for k, v in m.w.items():
        if k not in ("H_init", "L_init"):  # buffers
            v.requires_grad_(True)
    return m


def train_step(m, batch, loss_name, M, grad_scale):
    """One segment of TRM's training step; gradients are left in m.w[k].grad."""
    B = batch["inputs"].shape[0]
    halted = batch["halted"]
    reset = halted.view(-1, 1, 1)
    zH = torch.where(reset, m.w["H_init"], batch["zH"].double())
    zL = torch.where(reset, m.w["L_init"], batch["zL"].double())
    steps = torch.where(halted, torch.zeros_like(batch["steps"]), batch["steps"])

    x = m.input_embedding(batch["inputs"], batch["puzzle_ids"])
    Hc, Lc = m.arch.H_cycles, m.arch.L_cycles
    with torch.no_grad():
        for _ in range(Hc - 1):
            for _ in range(Lc):
                zL = m.L_step(zL, zH, x)
            zH = m.H_step(zH, zL)
    for _ in range(Lc):
        zL = m.L_step(zL, zH, x)
    zH = m.H_step(zH, zL)
    logits, q_halt, q_cont = m.heads(zH)

    with torch.no_grad():
        steps = steps + 1
        is_last = steps >= M
        new_halted = is_last.clone()
        if M > 1:
            new_halted |= m.halts(q_halt, q_cont)
        labels = batch["labels"]
        mask = labels != IGNORE_LABEL_ID
        counts = mask.sum(-1)
        divisor = counts.clamp_min(1).unsqueeze(-1)
        is_correct = mask & (torch.argmax(logits, dim=-1) == labels)
        exact = is_correct.sum(-1) == counts
        valid = new_halted & (counts > 0)
        metrics = torch.tensor([
            float(valid.sum()),
            float(torch.where(valid, (is_correct.double() / divisor).sum(-1),
                              torch.zeros(B, dtype=torch.float64)).sum()),
            float((valid & exact).sum()),
            float((valid & ((q_halt >= 0) == exact)).sum()),
            float(torch.where(valid, steps, torch.zeros_like(steps)).sum()),
        ], dtype=torch.float64)

    lm = (TR.LOSSES[loss_name](logits, labels) / divisor).sum()
    qh_loss = F.binary_cross_entropy_with_logits(q_halt, exact.double(), reduction="sum")
    total = lm + 0.5 * qh_loss
    (grad_scale * total).backward()
    zero = torch.zeros((), dtype=torch.float64)
    return dict(
        loss=torch.tensor([total.item(), lm.item(), qh_loss.item(), zero.item()], dtype=torch.float64),
        metrics=metrics, zH=zH.detach(), zL=zL.detach(), steps=steps.to(torch.int32),
        halted=new_halted, logits=logits.detach(), q=torch.stack((q_halt, q_cont), -1).detach(),
        exact=exact, is_last=is_last, mask=mask)


# ---------------------------------------------------------------- the batch

def carried_state(arch, weights, rows, segments, seed):
    """z_H, z_L after some segments on other inputs, rounded to float32 as
    the C trainer keeps them."""
    rng = np.random.default_rng(seed)
    m = T.TRMRef(arch, weights, torch.float64)
    inp = torch.from_numpy(rng.integers(1, arch.vocab_size, size=(rows, arch.seq_len)))
    pid = torch.from_numpy(rng.integers(0, max(arch.num_puzzle_identifiers, 1), size=(rows,)))
    zH, zL = [], []
    for r in range(rows):
        out = R.run(m, inp[r:r + 1], pid[r:r + 1], segments[r])
        zH.append(out[-1][0].float())
        zL.append(out[-1][1].float())
    return torch.cat(zH), torch.cat(zL)


def draft_batch(arch, spec, weights, seed):
    """Row 0 is a new sample (halted; its stale carry NaN so that any leak
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


def margins_ok(r):
    """No decision within float32 reach of its boundary (TRM halts on the
    sign of q_halt alone)."""
    top2 = r["logits"].topk(2, dim=-1).values
    gap = (top2[..., 0] - top2[..., 1])[r["mask"]]
    return bool(gap.min() > TR.ARGMAX_MARGIN and r["q"][:, 0].abs().min() > TR.Q_MARGIN)


def build_case(name, spec):
    """Weights and batch such that one of rows 0/1 halts on q_halt > 0 and
    the other does not, the halting one is exactly right (labels = its
    prediction), and row 2 halts at M.  q_head.bias[0] is shifted to put 0
    between the two rows' q_halt (q does not feed back into the recursion)."""
    arch = make_arch(spec)
    M = arch.halt_max_steps
    for attempt in range(50):
        seed = spec["seed"] + attempt
        weights = T.random_weights(arch, seed)
        batch = draft_batch(arch, spec, weights, seed + 1000)
        r = train_step(make_model(arch, weights), batch, spec["loss"], M, 1.0)
        qh = r["q"][:, 0].tolist()
        if abs(qh[0] - qh[1]) < 4 * TR.Q_MARGIN:
            continue
        b = weights["q_head.bias"].clone()
        b[0] -= (qh[0] + qh[1]) / 2
        weights["q_head.bias"] = b.float()
        r = train_step(make_model(arch, weights), batch, spec["loss"], M, 1.0)
        halts = int(r["q"][1, 0] > 0)  # the row among 0/1 that halts on q
        pred = r["logits"].argmax(-1).to(torch.int32)
        keep = batch["labels"][halts] != IGNORE_LABEL_ID
        batch["labels"][halts] = torch.where(keep, pred[halts], batch["labels"][halts])
        r = train_step(make_model(arch, weights), batch, spec["loss"], M, 1.0)
        want = [halts == 0, halts == 1, True]
        if r["halted"].tolist() != want or r["exact"].tolist() != want[:2] + [False]:
            continue
        if not margins_ok(r):
            continue
        # check_train also trains in bf16 and measures it against the weights
        # rounded to bf16: the decisions (exact rows, halting) must survive
        # that rounding, or the comparison measures a flipped target
        wb = {k: v.to(torch.bfloat16).float() for k, v in weights.items()}
        rb = train_step(make_model(arch, wb), batch, spec["loss"], M, 1.0)
        if rb["halted"].tolist() != want or rb["exact"].tolist() != r["exact"].tolist():
            continue
        return arch, weights, batch, seed
    raise SystemExit("%s: no seed gave a batch away from every decision boundary" % name)


# ---------------------------------------------------------------- the official code

def official_step(trm, losses, arch, spec, weights, batch, grad_scale):
    """The same step through the official ACTLossHead in float32 training
    mode: (loss, {name: gradient}) with the puzzle rows summed per id."""
    import check_trm_official as O
    model = O.official_model(trm, arch, spec["B"], weights)
    cfg = model.config
    cfg.halt_exploration_prob = 0.0
    head = losses.ACTLossHead(model, loss_type=spec["loss"])
    head.train()
    inner = model.inner
    for n, p in inner.named_parameters():
        p.requires_grad_(True)
        p.grad = None
    if arch.puzzle_emb_ndim > 0:
        pe = inner.puzzle_emb
        pe.local_weights = torch.zeros(spec["B"], arch.puzzle_emb_ndim, requires_grad=True)
        pe.local_ids = torch.zeros(spec["B"], dtype=torch.int32)
    data = {"inputs": batch["inputs"], "labels": batch["labels"].clone(),
            "puzzle_identifiers": batch["puzzle_ids"].long()}
    carry = model.initial_carry(data)
    carry.inner_carry.z_H = batch["zH"].clone()
    carry.inner_carry.z_L = batch["zL"].clone()
    carry.steps = batch["steps"].clone()
    carry.halted = batch["halted"].clone()
    carry.current_data = {k: v.clone() for k, v in data.items()}
    _, loss, _, _, _ = head(return_keys=[], carry=carry, batch=data)
    (grad_scale * loss).backward()
    grads = {}
    for n, p in inner.named_parameters():
        grads[n] = p.grad.detach().double() if p.grad is not None else torch.zeros_like(p, dtype=torch.float64)
    if arch.puzzle_emb_ndim > 0:
        rows = torch.zeros(arch.num_puzzle_identifiers, arch.puzzle_emb_ndim, dtype=torch.float64)
        rows.index_add_(0, batch["puzzle_ids"].long(), pe.local_weights.grad.double())
        grads["puzzle_emb.weights"] = rows
    return loss.item(), grads


def check_official(official_dir, name, spec, arch, weights, batch, ref_grads, ref_loss):
    import check_trm_official as O
    O.install_shims()
    if official_dir not in sys.path:
        sys.path.insert(0, official_dir)
    from models.recursive_reasoning import trm
    from models import losses
    grad_scale = 1.0 / spec["B"]
    loss, grads = official_step(trm, losses, arch, spec, weights, batch, grad_scale)
    worst = abs(loss - ref_loss) / abs(ref_loss)
    if worst > 1e-4:
        raise SystemExit("%s: official loss %.9g, reference %.9g" % (name, loss, ref_loss))
    for k, g in grads.items():
        want = ref_grads[k]
        e = ((g - want).norm() / want.norm()).item() if want.norm() > 0 else g.norm().item()
        worst = max(worst, e)
        if e > 1e-4:
            raise SystemExit("%s: gradient of %s differs from the official code's by %.2e" % (name, k, e))
    missing = [k for k, g in ref_grads.items() if g.abs().max() > 0 and k not in grads]
    if missing:
        raise SystemExit("%s: the official model has no gradient for %s" % (name, missing))
    print("train_trm %-5s equal to the official ACTLossHead(trm) autograd: worst relative %.1e over %d tensors"
          % (name, worst, len(grads)))


# ---------------------------------------------------------------- writing

def write_case(out, name, spec, official_dir):
    arch, weights, batch, seed = build_case(name, spec)
    d = os.path.join(out, "train_trm", name)
    os.makedirs(d, exist_ok=True)
    torch.save(R.prefixed_state(weights), os.path.join(d, "checkpoint"))
    with open(os.path.join(d, "all_config.yaml"), "w") as f:
        yaml.dump(all_config(arch, name, spec["loss"]), f)

    B = spec["B"]
    m = make_model(arch, weights)
    r = train_step(m, batch, spec["loss"], arch.halt_max_steps, 1.0 / B)
    t = collections.OrderedDict()
    for k in ("inputs", "labels", "puzzle_ids", "zH", "zL", "steps", "halted"):
        t[k] = TR.own(batch[k])
    # [grad mode (2: last cycle), halt_max_steps, q_learning]; exploration off
    t["opts"] = torch.tensor([GRAD_LAST_CYCLE, arch.halt_max_steps, 1], dtype=torch.int32)
    t["grad_scale"] = torch.tensor([1.0 / B], dtype=torch.float64)
    t["loss"] = TR.own(r["loss"])        # total, lm, q_halt, q_continue (0: no continue target)
    t["metrics"] = TR.own(r["metrics"])  # count, accuracy, exact, q_halt_accuracy, steps
    t["q"] = TR.own(r["q"])
    t["target_q_continue"] = torch.zeros(B, dtype=torch.float64)
    t["new.zH"] = TR.own(r["zH"])
    t["new.zL"] = TR.own(r["zL"])
    t["new.steps"] = TR.own(r["steps"])
    t["new.halted"] = TR.own(r["halted"])
    ref_grads = {}
    for k in T.expected_shapes(arch):
        g = m.w[k].grad
        if g is None:
            g = torch.zeros_like(m.w[k])
        ref_grads[k] = g.detach()
        t["grad." + k] = TR.own(g.float())
    torch.save(dict(t), os.path.join(d, "step"))
    print("train_trm %-5s seed %d: loss %.6f (lm %.6f, q_halt %.6f), halted %s"
          % (name, seed, *r["loss"].tolist()[:3], r["halted"].tolist()))
    if official_dir:
        check_official(official_dir, name, spec, arch, weights, batch, ref_grads, r["loss"][0].item())
    return arch


README = """\
# TRM training-step fixtures

Written by `tests/reference/train_trm_ref.py`: the float64 PyTorch reference
of one TRM deep-supervision training step (TRM spec "Gradient: the last full
recursion" and "ACT and loss"; the official `trm.py` ACT wrapper and
`losses.py`), checked against the C trainer by `tests/check_train.c`.
Deterministic; do not edit by hand. `train_trm_ref.py --official DIR` also
runs each step through the official code's autograd (a TinyRecursiveModels
checkout) and requires the same loss and gradients (1e-4 relative).

The files are those of `tests/fixtures/train` (see its README); here `opts`
is [2 (the last-cycle gradient), halt_max_steps, 1], `loss[3]`
(q_continue) and `target_q_continue` are 0: with no_ACT_continue there is no
continue target and no extra segment.

| case | d | heads | layers | H/L cycles | block | pos | P (Lp) | N | V | S | B | M | loss |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
%(rows)s

Row 0 is a new sample (its stale carry is NaN), rows 1 and 2 carry a state
reached after 1 and 2 segments on other inputs; rows 1 and 2 share a puzzle
identifier. Row 2 reaches M in this step. `q_head.bias[0]` is shifted so that
exactly one of rows 0/1 halts on q_halt > 0, and that row's labels are its own
predictions. Every argmax decision of a labelled cell is %(am)g away from a
tie and |q_halt| exceeds %(qm)g, so float32 rounding in C cannot flip one.
"""


def write_readme(out, archs):
    rows = []
    for name, spec in CASES.items():
        a = archs[name]
        rows.append("| `%s` | %d | %d | %d | %d/%d | %s | %s | %d (%d) | %d | %d | %d | %d | %d | %s |"
                    % (name, a.hidden_size, a.num_heads, a.L_layers, a.H_cycles, a.L_cycles,
                       "mlp_t" if a.mlp_t else "attention", a.pos_encodings, a.puzzle_emb_ndim, a.Lp,
                       spec["N"], a.vocab_size, a.seq_len, spec["B"], a.halt_max_steps,
                       spec["loss"].split("_")[0]))
    with open(os.path.join(out, "train_trm", "README.md"), "w") as f:
        f.write(README % dict(rows="\n".join(rows), am=TR.ARGMAX_MARGIN, qm=TR.Q_MARGIN))


def main():
    ap = argparse.ArgumentParser(description="Write tests/fixtures/train_trm.")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "fixtures"),
                    help="fixtures directory (default: tests/fixtures beside this script)")
    ap.add_argument("--official", metavar="DIR",
                    help="a TinyRecursiveModels checkout: check each step against its autograd")
    args = ap.parse_args()
    archs = {name: write_case(args.out, name, spec, args.official) for name, spec in CASES.items()}
    write_readme(args.out, archs)
    size = TR.tree_size(os.path.join(args.out, "train_trm"))
    print("train_trm fixtures: %d bytes in 4 KiB blocks (%.0f KiB)" % (size, size / 1024))
    if size > 500 * 1024:
        raise SystemExit("train_trm fixtures exceed 500 KB")


if __name__ == "__main__":
    main()
