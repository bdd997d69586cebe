#!/usr/bin/env python3
"""Write hrmscope's TRM golden fixtures (tests/fixtures/golden_trm).

    make_golden_trm.py [--out tests/fixtures] [--hrmscope PATH]

Each case is a tiny Tiny Recursive Model saved as the official trainer
saves it (pretrain.py: torch.save of the compiled model's state_dict, keys
`_orig_mod.model.inner.*`, H_init/L_init in bfloat16, as a `step_N` file or
`checkpoint`, and all_config.yaml from the config's model_dump()), and the
traces of trm_ref.py (checked against the official trm.py by
check_trm_official.py) in the format of make_golden.py's `trace` and
`trace_bf16` (see tests/fixtures/golden/README.md for the keys; the H-step's
module is the same network, so `op.H.*` is L_level's block 0 on the H-step's
input).  mlp_t cases store these op keys in place of the attention ones:
`t_gu`, `t_act`, `t_down` (the position-mixing SwiGLU on the transposed
input [1, d, T]) and `t_h1` (rms_norm over positions, still transposed);
`h1` is then t_h1 transposed back.  Deterministic: fixed seeds.

With --hrmscope (a built binary) it also checks the other direction: a small
mlp_t TRM written by `hrmscope init` is read by torch.load, holds exactly the
official keys, shapes and dtypes, and trm_ref runs it (nothing is kept).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch
import yaml

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_ref as R  # noqa: E402
import make_golden as G  # noqa: E402
import trm_ref as T  # noqa: E402

torch.set_num_threads(1)

# small: every block costs 3 * 256 * d floats (channel SwiGLU) plus, with
# mlp_t, 3 * 256 * T (the width over positions is a multiple of 256 too)
CASES = {
    # attention, rope, the default 16 prefix tokens (P = d: one carries the row)
    "att_rope_lp16": dict(
        arch=dict(hidden_size=8, num_heads=2, H_layers=0, L_layers=2, H_cycles=2, L_cycles=2, expansion=4,
                  puzzle_emb_ndim=8, pos_encodings="rope", halt_max_steps=4, mlp_t=False,
                  puzzle_emb_len=16),
        V=6, S=9, N=3, B=2, segments=2, seed=601, file="checkpoint"),
    # the published Sudoku variant's shape: mlp_t, no positions, H 3 / L 6
    "mlpt_none_lp16_h3l6": dict(
        arch=dict(hidden_size=8, num_heads=2, H_layers=0, L_layers=1, H_cycles=3, L_cycles=6, expansion=4,
                  puzzle_emb_ndim=8, pos_encodings="none", halt_max_steps=2, mlp_t=True,
                  puzzle_emb_len=16),
        V=11, S=9, N=2, B=2, segments=1, seed=602, file="step_1302"),
    # puzzle_emb_len 0: ceil(P / d) = 2 prefix tokens, the row zero-padded
    "mlpt_learned_lp0": dict(
        arch=dict(hidden_size=8, num_heads=2, H_layers=0, L_layers=1, H_cycles=2, L_cycles=3, expansion=2,
                  puzzle_emb_ndim=12, pos_encodings="learned", halt_max_steps=3, mlp_t=True,
                  puzzle_emb_len=0),
        V=7, S=10, N=4, B=3, segments=2, seed=603, file="checkpoint"),
    # no puzzle embedding at all (puzzle_emb_len 0), attention without positions
    "att_none_nopuzzle": dict(
        arch=dict(hidden_size=8, num_heads=2, H_layers=0, L_layers=1, H_cycles=2, L_cycles=3, expansion=4,
                  puzzle_emb_ndim=0, pos_encodings="none", halt_max_steps=3, mlp_t=False,
                  puzzle_emb_len=0),
        V=5, S=12, N=1, B=2, segments=1, seed=604, file="checkpoint"),
}


def make_arch(spec, V, S, N):
    a = T.TRMArch(**spec)
    a.vocab_size, a.seq_len = V, S
    a.num_puzzle_identifiers = N if a.puzzle_emb_ndim > 0 else 0
    return a


def all_config(arch, case):
    """What pretrain.py dumps (config.model_dump(), sorted by yaml.dump)."""
    arch_section = {
        "name": T.TRM_NAME,
        "loss": {"name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy"},
        "H_cycles": arch.H_cycles, "L_cycles": arch.L_cycles, "H_layers": arch.H_layers,
        "L_layers": arch.L_layers, "hidden_size": arch.hidden_size, "num_heads": arch.num_heads,
        "expansion": arch.expansion, "puzzle_emb_ndim": arch.puzzle_emb_ndim,
        "pos_encodings": arch.pos_encodings, "halt_max_steps": arch.halt_max_steps,
        "halt_exploration_prob": arch.halt_exploration_prob, "forward_dtype": "bfloat16",
        "mlp_t": arch.mlp_t, "puzzle_emb_len": arch.puzzle_emb_len, "no_ACT_continue": arch.no_ACT_continue,
    }
    project = "Golden-%s ACT-torch" % case
    run = "TinyRecursiveReasoningModel_ACTV1 golden-%s" % case
    return {
        "arch": arch_section, "data_paths": ["data/golden-%s" % case], "data_paths_test": [],
        "evaluators": [], "global_batch_size": 768, "epochs": 50000, "eval_interval": 5000,
        "checkpoint_every_eval": True, "lr": 1e-4, "lr_min_ratio": 1.0, "lr_warmup_steps": 2000,
        "beta1": 0.9, "beta2": 0.95, "weight_decay": 1.0, "puzzle_emb_weight_decay": 1.0,
        "puzzle_emb_lr": 1e-4, "seed": 0, "min_eval_interval": 0, "ema": True, "ema_rate": 0.999,
        "freeze_weights": False, "load_checkpoint": None, "eval_save_outputs": [],
        "project_name": project, "run_name": run, "checkpoint_path": "checkpoints/%s/%s" % (project, run),
    }


def write_case(out, name, spec):
    d = os.path.join(out, "golden_trm", name)
    os.makedirs(d, exist_ok=True)
    arch = make_arch(spec["arch"], spec["V"], spec["S"], spec["N"])
    weights = T.random_weights(arch, spec["seed"])
    for f in os.listdir(d):
        if f == "checkpoint" or f.startswith("step_"):
            os.remove(os.path.join(d, f))
    torch.save(R.prefixed_state(weights), os.path.join(d, spec["file"]))
    G.write_yaml(os.path.join(d, "all_config.yaml"), all_config(arch, name))
    inputs, pids = G.make_inputs(arch, spec["B"], spec["N"], spec["seed"] + 1)
    segs = spec["segments"]
    torch.save(G.build_trace(arch, weights, inputs, pids, segs, arch.halt_max_steps, ref=T.TRMRef),
               os.path.join(d, "trace"))
    torch.save(G.build_trace_bf16(arch, weights, inputs, pids, segs, ref=T.TRMRef), os.path.join(d, "trace_bf16"))
    return d, arch


@torch.no_grad()
def verify(d, name, arch):
    """Reads the case back as a user would: the checkpoint through torch.load
    and all_config.yaml through yaml, and checks one step of each trace."""
    spec = CASES[name]
    sd = torch.load(os.path.join(d, spec["file"]), map_location="cpu")
    if not all(k.startswith(R.CHECKPOINT_PREFIX) for k in sd) or any("H_level" in k for k in sd):
        raise SystemExit("%s: keys are not the official TRM ones" % name)
    with open(os.path.join(d, "all_config.yaml")) as f:
        conf = yaml.safe_load(f)
    state = R.canonical_state(sd)
    a = T.arch_from_config(conf, state, seq_len=arch.seq_len)
    T.check_state(a, state)
    tr = torch.load(os.path.join(d, "trace"), map_location="cpu")
    m = T.TRMRef(a, state, torch.float32)
    x = m.input_embedding(tr["inputs"], tr["puzzle_identifiers"])
    last = "s0.h0.l%d.zL" % (a.L_cycles - 1)
    if not (torch.equal(x, tr["x"]) and torch.equal(m.L_step(tr["s0.zL0"], tr["s0.zH0"], x), tr["s0.h0.l0.zL"])
            and torch.equal(m.H_step(tr["s0.zH0"], tr[last]), tr["s0.h0.zH"])):
        raise SystemExit("%s: the trace read back differs from the reference" % name)
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("golden_trm %-20s T %2d Lp %2d mlp_t %d: %d tensors, %d bytes" % (name, a.T, a.Lp, a.mlp_t, len(sd), size))
    return size


@torch.no_grad()
def check_hrmscope_writes(hrmscope):
    """hrmscope init -> torch.load: the official TRM state dict."""
    with tempfile.TemporaryDirectory() as tmp:
        arch = dict(all_config(make_arch(CASES["mlpt_none_lp16_h3l6"]["arch"], 11, 9, 2), "roundtrip")["arch"])
        G.write_yaml(os.path.join(tmp, "arch.yaml"), arch)
        subprocess.run([os.path.abspath(hrmscope), "init", "--arch", "arch.yaml", "--vocab", "11", "--seq-len", "9",
                        "--puzzle-ids", "2", "-o", "out"], check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        sd = torch.load(os.path.join(tmp, "out", "checkpoint"), map_location="cpu")
        with open(os.path.join(tmp, "out", "all_config.yaml")) as f:
            conf = yaml.safe_load(f)
    if conf["arch"]["name"] != T.TRM_NAME or not all(k.startswith(R.CHECKPOINT_PREFIX) for k in sd):
        raise SystemExit("roundtrip: not an official TRM file")
    state = R.canonical_state(sd)
    a = T.arch_from_config(conf, state, seq_len=9)
    T.check_state(a, state)
    for k, v in state.items():
        want = torch.bfloat16 if k in ("H_init", "L_init") else torch.float32
        if v.dtype != want:
            raise SystemExit("roundtrip: %s is %s, the official trainer saves %s" % (k, v.dtype, want))
    m = T.TRMRef(a, state, torch.float32)
    out = R.run(m, torch.ones(1, 9, dtype=torch.int32), torch.zeros(1, dtype=torch.int32), 1)
    if not torch.isfinite(out[0][2]).all():
        raise SystemExit("roundtrip: the reference does not run it")
    print("roundtrip: torch.load read hrmscope's TRM (%d tensors, mlp_t %s, Lp %d): official keys, shapes, dtypes"
          % (len(sd), a.mlp_t, a.Lp))


def main():
    ap = argparse.ArgumentParser(description="Write tests/fixtures/golden_trm.")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
    ap.add_argument("--hrmscope", help="a built hrmscope: also check what its init writes")
    args = ap.parse_args()
    if args.hrmscope and os.access(args.hrmscope, os.X_OK):
        check_hrmscope_writes(args.hrmscope)
    total = 0
    for name, spec in CASES.items():
        d, arch = write_case(args.out, name, spec)
        total += verify(d, name, arch)
    print("golden_trm: %d bytes (%.2f MiB)" % (total, total / 2 ** 20))
    if total > 1024 * 1024:
        raise SystemExit("golden_trm fixtures exceed 1 MB")


if __name__ == "__main__":
    main()
