#!/usr/bin/env python3
"""Check trm_ref.py against the official TRM code.

    check_trm_official.py OFFICIAL_DIR

OFFICIAL_DIR is a checkout of SamsungSAILMontreal/TinyRecursiveModels (its
models/ folder is imported, nothing of it is copied here).  The official
files need torch >= 2.5 (nn.Buffer, scaled_dot_product_attention), pydantic
and einops; on an older torch (Debian's 1.13) this script supplies small
stand-ins for exactly those names before importing them:

- pydantic.BaseModel: keyword arguments and class defaults as attributes;
- einops.rearrange for the two patterns layers.py uses (a transpose);
- nn.Buffer(t, persistent=...): the tensor itself (we set every buffer by
  hand below, so registration does not matter);
- F.scaled_dot_product_attention: softmax(q k^T / sqrt(hd)) v, non-causal,
  in the memory layout of torch's kernels;
- torch.optim.optimizer.ParamsT (a type name only);
- torch.no_grad used as a bare decorator (@torch.no_grad without parentheses).

For each case (attention and mlp_t, puzzle_emb_len 16 and 0, rope / none /
learned, B > 1) the official inner model runs in float32 with our random
weights (random q_head and puzzle rows, so that every path matters) for
three segments, carry kept; z_H, z_L, the logits and both q values must equal
trm_ref.py's within 1e-5 relative; the ACT wrapper's halting (training mode,
no exploration) must follow q_halt > 0.  Exit status 0 when all agree.
"""

import math
import os
import sys
import types

import torch
import torch.nn.functional as F
from torch import nn

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trm_ref as T  # noqa: E402


def install_shims():
    if "pydantic" not in sys.modules:
        try:
            import pydantic  # noqa: F401
        except ImportError:
            mod = types.ModuleType("pydantic")

            class BaseModel:
                def __init__(self, **kw):
                    for cls in reversed(type(self).__mro__):
                        for k, v in vars(cls).items():
                            if not k.startswith("_") and not callable(v) and not isinstance(v, property):
                                setattr(self, k, v)
                    for k, v in kw.items():
                        setattr(self, k, v)

            mod.BaseModel = BaseModel
            sys.modules["pydantic"] = mod
    try:
        import einops  # noqa: F401
    except ImportError:
        mod = types.ModuleType("einops")

        def rearrange(t, pattern):
            if pattern.replace(" ", "") in ("BSHD->BHSD", "BHSD->BSHD"):
                return t.transpose(1, 2)
            raise NotImplementedError(pattern)

        mod.rearrange = rearrange
        sys.modules["einops"] = mod
    if not hasattr(nn, "Buffer"):
        nn.Buffer = lambda t, persistent=True: t
    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(query, key, value, is_causal=False):
            assert not is_causal
            s = query @ key.transpose(-1, -2) / math.sqrt(query.shape[-1])
            # laid out [B, S, H, D] as torch's fused kernels return it, so
            # that layers.py's .view after the rearrange works
            return (torch.softmax(s, dim=-1) @ value).transpose(1, 2).contiguous().transpose(1, 2)
        F.scaled_dot_product_attention = sdpa
    try:
        torch.no_grad(lambda: None)
    except TypeError:
        plain = torch.no_grad

        class no_grad(plain):
            def __new__(cls, fn=None):
                if fn is not None:
                    return plain()(fn)
                return super().__new__(cls)

            def __init__(self, fn=None):
                super().__init__()

        torch.no_grad = no_grad
    import torch.optim.optimizer as oo
    if not hasattr(oo, "ParamsT"):
        oo.ParamsT = object


CASES = [
    dict(mlp_t=False, pos_encodings="rope", puzzle_emb_len=16, puzzle_emb_ndim=16),
    dict(mlp_t=True, pos_encodings="none", puzzle_emb_len=16, puzzle_emb_ndim=16),
    dict(mlp_t=True, pos_encodings="rope", puzzle_emb_len=0, puzzle_emb_ndim=24),
    dict(mlp_t=False, pos_encodings="learned", puzzle_emb_len=0, puzzle_emb_ndim=0),
    dict(mlp_t=False, pos_encodings="rope", puzzle_emb_len=3, puzzle_emb_ndim=20),
]


def official_model(trm, arch, B, weights):
    cfg = dict(batch_size=B, seq_len=arch.seq_len, puzzle_emb_ndim=arch.puzzle_emb_ndim,
               num_puzzle_identifiers=max(arch.num_puzzle_identifiers, 1), vocab_size=arch.vocab_size,
               H_cycles=arch.H_cycles, L_cycles=arch.L_cycles, H_layers=0, L_layers=arch.L_layers,
               hidden_size=arch.hidden_size, expansion=arch.expansion, num_heads=arch.num_heads,
               pos_encodings=arch.pos_encodings, halt_max_steps=arch.halt_max_steps,
               halt_exploration_prob=0.0, forward_dtype="float32", mlp_t=arch.mlp_t,
               puzzle_emb_len=arch.puzzle_emb_len, no_ACT_continue=True)
    model = trm.TinyRecursiveReasoningModel_ACTV1(cfg)
    inner = model.inner
    with torch.no_grad():
        for name, v in weights.items():
            obj = inner
            *path, leaf = name.split(".")
            for p in path:
                obj = obj[int(p)] if p.isdigit() else getattr(obj, p)
            cur = getattr(obj, leaf)
            if tuple(cur.shape) != tuple(v.shape):
                raise SystemExit("%s: official shape %s, ours %s" % (name, tuple(cur.shape), tuple(v.shape)))
            if isinstance(cur, nn.Parameter):
                cur.copy_(v.float())
            else:
                setattr(obj, leaf, v.float().clone())
    # every parameter of the official model is one of ours
    ours = set(weights)
    for n, _ in inner.named_parameters():
        if n not in ours:
            raise SystemExit("official parameter %s has no tensor in trm_ref" % n)
    return model


def main():
    if len(sys.argv) != 2 or not os.path.isdir(os.path.join(sys.argv[1], "models", "recursive_reasoning")):
        raise SystemExit("usage: check_trm_official.py OFFICIAL_DIR (a TinyRecursiveModels checkout)")
    install_shims()
    sys.path.insert(0, sys.argv[1])
    from models.recursive_reasoning import trm  # noqa: E402
    torch.manual_seed(0)
    worst, halted = 0.0, 0
    for i, c in enumerate(CASES):
        arch = T.TRMArch(hidden_size=16, num_heads=2, H_layers=0, L_layers=2, H_cycles=3, L_cycles=2,
                         expansion=4, vocab_size=7, seq_len=10,
                         num_puzzle_identifiers=3 if c["puzzle_emb_ndim"] else 0, halt_max_steps=4, **c)
        B = 3
        w = T.random_weights(arch, 500 + i)
        ours = T.TRMRef(arch, w, torch.float32)
        model = official_model(trm, arch, B, w)
        g = torch.Generator().manual_seed(i)
        batch = {"inputs": torch.randint(0, arch.vocab_size, (B, arch.seq_len), generator=g, dtype=torch.int32),
                 "puzzle_identifiers": torch.tensor([2, 0, 1][:B] if arch.puzzle_emb_ndim else [0] * B,
                                                    dtype=torch.int64),  # torch 1.13 indexes with int64 only
                 "labels": torch.zeros(B, arch.seq_len, dtype=torch.int32)}
        model.train()  # halting by the Q head (exploration probability 0)
        carry = model.initial_carry(batch)
        x = ours.input_embedding(batch["inputs"], batch["puzzle_identifiers"])
        zH, zL = ours.initial_carry(B)
        for s in range(3):
            with torch.no_grad():
                carry, out = model(carry, batch)
                zH, zL = ours.segment(zH, zL, x)
                logits, qh, qc = ours.heads(zH)
            pairs = [("z_H", carry.inner_carry.z_H, zH), ("z_L", carry.inner_carry.z_L, zL),
                     ("logits", out["logits"], logits), ("q_halt", out["q_halt_logits"], qh),
                     ("q_continue", out["q_continue_logits"], qc)]
            for what, a, b in pairs:
                rel = ((a.double() - b.double()).norm() / b.double().norm()).item()
                worst = max(worst, rel)
                if rel > 1e-5:
                    raise SystemExit("case %d segment %d: %s differs from the official code (rel %.2e)"
                                     % (i, s, what, rel))
            want = ours.halts(qh, qc) | torch.tensor(s + 1 >= arch.halt_max_steps)
            if not torch.equal(carry.halted, want):
                raise SystemExit("case %d segment %d: halted %s, trm_ref says %s" % (i, s, carry.halted, want))
            halted += int(carry.halted.sum())
            # the official wrapper resets halted rows at the next call; ours follows
            for r in range(B):
                if carry.halted[r]:
                    zH[r], zL[r] = ours.initial_carry(1)[0][0], ours.initial_carry(1)[1][0]
        print("case %d %-60s Lp %2d T %2d: equal to the official trm.py over 3 segments"
              % (i, str(c), arch.Lp, arch.T))
    print("worst relative difference %.2e; %d row-segments halted by the Q head" % (worst, halted))
    if halted == 0:
        raise SystemExit("no row halted: the halting rule was not exercised")


if __name__ == "__main__":
    main()
