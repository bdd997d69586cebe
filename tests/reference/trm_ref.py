#!/usr/bin/env python3
"""Reference forward pass of the Tiny Recursive Model (TRM,
recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1).

Written for hrmscope's tests from the project's TRM spec and checked against
the official models/recursive_reasoning/trm.py with check_trm_official.py.
It reuses hrm_ref.py's pieces (linear, attention, SwiGLU, rms_norm, the
embedding, the heads, and their bf16 rounding points): TRM grew out of the
HRM code and differs only in what this file overrides:

- one module, L_level (L_layers blocks), used for both updates; no H_level:
      L-step  z_L = L_level(z_L, z_H + x)       (the paper's z)
      H-step  z_H = L_level(z_H, z_L)           (the paper's y, the answer)
- puzzle_emb_len prefix tokens (0: ceil(P/d) as HRM); the puzzle row is
  zero-padded to puzzle_emb_len * d;
- mlp_t blocks: the attention sub-layer replaced by a SwiGLU over the
  sequence axis, u = h^T ([B, d, T]); u = rms_norm(u + SwiGLU_T(u)) with the
  norm over the LAST axis of u, i.e. over the T positions of each channel;
  h = u^T; then the usual channel SwiGLU sub-layer.  SwiGLU_T's width is
  round_up(round(expansion * T * 2/3), 256);
- pos_encodings may be "none" (no positions at all);
- halting with no_ACT_continue: q_halt > 0 (q_continue computed, unused).

bf16 mode rounds where hrm_ref.py does; the mlp_t sub-layer is made of the
same rounded ops (F.linear on the transposed tensor, silu, product, add,
rms_norm in fp32 inside), so it rounds at the same kinds of points.
"""

import collections
import math
from dataclasses import dataclass

import torch

import hrm_ref as R

TRM_NAME = "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1"


@dataclass
class TRMArch(R.Arch):
    """R.Arch plus TRM's keys; H_layers is ignored (give 0, as the official
    config does)."""
    mlp_t: bool = False
    puzzle_emb_len: int = 16
    no_ACT_continue: bool = True

    @property
    def Lp(self):
        if self.puzzle_emb_len:
            return self.puzzle_emb_len
        return -(-self.puzzle_emb_ndim // self.hidden_size)

    @property
    def inter_t(self):
        return R.swiglu_width(self.T, self.expansion)


TRM_YAML_KEYS = R.ARCH_YAML_KEYS + ("mlp_t", "puzzle_emb_len", "no_ACT_continue")


def arch_from_config(cfg, state=None, seq_len=None):
    a = cfg.get("arch", cfg)
    kw = {k: a[k] for k in TRM_YAML_KEYS if k in a}
    arch = TRMArch(**kw)
    if seq_len is not None:
        arch.seq_len = seq_len
    if state is not None:
        arch.vocab_size = state["embed_tokens.embedding_weight"].shape[0]
        if "puzzle_emb.weights" in state:
            arch.num_puzzle_identifiers = state["puzzle_emb.weights"].shape[0]
    return arch


def block_names(n, mlp_t):
    p = "L_level.layers.%d." % n
    names = {"gate_up": p + "mlp.gate_up_proj.weight", "down": p + "mlp.down_proj.weight"}
    if mlp_t:
        names["t_gate_up"] = p + "mlp_t.gate_up_proj.weight"
        names["t_down"] = p + "mlp_t.down_proj.weight"
    else:
        names["qkv"] = p + "self_attn.qkv_proj.weight"
        names["o"] = p + "self_attn.o_proj.weight"
    return names


def expected_shapes(arch):
    """Canonical name -> shape in the official state-dict order (the
    module's buffers H_init, L_init first, then the submodules in the order
    __init__ creates them; in a block mlp_t or self_attn before mlp)."""
    d, V, inter, T = arch.hidden_size, arch.vocab_size, arch.inter, arch.T
    s = collections.OrderedDict()
    s["H_init"] = (d,)
    s["L_init"] = (d,)
    s["embed_tokens.embedding_weight"] = (V, d)
    s["lm_head.weight"] = (V, d)
    s["q_head.weight"] = (2, d)
    s["q_head.bias"] = (2,)
    if arch.puzzle_emb_ndim > 0:
        s["puzzle_emb.weights"] = (arch.num_puzzle_identifiers, arch.puzzle_emb_ndim)
    if arch.pos_encodings == "learned":
        s["embed_pos.embedding_weight"] = (T, d)
    for n in range(arch.L_layers):
        b = block_names(n, arch.mlp_t)
        if arch.mlp_t:
            s[b["t_gate_up"]] = (2 * arch.inter_t, T)
            s[b["t_down"]] = (T, arch.inter_t)
        else:
            s[b["qkv"]] = (3 * d, d)
            s[b["o"]] = (d, d)
        s[b["gate_up"]] = (2 * inter, d)
        s[b["down"]] = (d, inter)
    return s


def check_state(arch, state):
    want = expected_shapes(arch)
    missing = [k for k in want if k not in state]
    extra = [k for k in state if k not in want]
    if missing or extra:
        raise ValueError("missing %s, unexpected %s" % (missing, extra))
    for k, shape in want.items():
        if tuple(state[k].shape) != tuple(shape):
            raise ValueError("%s: shape %s, expected %s" % (k, tuple(state[k].shape), shape))


def random_weights(arch, seed, **kw):
    """hrm_ref.random_weights over TRM's tensor list (the same scales: the
    official init uses the same CastedLinear / CastedEmbedding)."""
    saved = R.expected_shapes
    R.expected_shapes = expected_shapes
    try:
        return R.random_weights(arch, seed, **kw)
    finally:
        R.expected_shapes = saved


class TRMRef(R.HRMRef):
    def __init__(self, arch, weights, dtype=torch.float32):
        if dtype not in (torch.float32, torch.float64, torch.bfloat16):
            raise ValueError("compute dtype must be float32, float64 or bfloat16")
        check_state(arch, weights)
        self.arch = arch
        self.dtype = dtype
        self.bf16 = dtype == torch.bfloat16
        self.w = {k: v.detach().to(dtype).contiguous() for k, v in weights.items()}
        net = [{r: self.w[n] for r, n in block_names(i, arch.mlp_t).items()} for i in range(arch.L_layers)]
        # "H_level": the module the H-step runs, which in TRM is the same
        # network (there is no H_level tensor)
        self.blocks = {"L_level": net, "H_level": net}
        if arch.pos_encodings == "rope":
            self.cos, self.sin = R.rope_tables(arch.T, arch.head_dim, arch.rope_theta,
                                               torch.float32 if self.bf16 else dtype)
        elif arch.pos_encodings in ("learned", "none"):
            self.cos = self.sin = None
        else:
            raise ValueError("pos_encodings must be rope, learned or none")

    def mix_positions(self, b, h, ops=None):
        """The mlp_t sub-layer: [B, T, d] -> [B, T, d]."""
        u = h.transpose(1, 2)  # [B, d, T]
        gu = self.linear(u, b["t_gate_up"])
        act = self.swiglu(gu)
        out = self.linear(act, b["t_down"])
        u = self._norm(self.add(u, out))  # over the last axis: the T positions
        if ops is not None:
            ops.update(t_in=h.transpose(1, 2), t_gu=gu, t_act=act, t_down=out, t_h1=u)
        return u.transpose(1, 2)

    def block(self, b, h, ops=None):
        if not self.arch.mlp_t:
            return super().block(b, h, ops)
        if ops is not None:
            ops["in"] = h
        h = self.mix_positions(b, h, ops)
        if ops is None:
            return self._norm(self.add(h, self.mlp(b, h)))
        ops["h1"] = h
        ops["gu"] = self.linear(h, b["gate_up"])
        ops["act"] = self.swiglu(ops["gu"])
        ops["down"] = self.linear(ops["act"], b["down"])
        h = ops["h2"] = self._norm(self.add(h, ops["down"]))
        return h

    def H_step(self, zH, zL):
        return self.module("L_level", zH, zL)

    def halts(self, q_halt, q_continue):
        """The training rule (evaluation always runs halt_max_steps)."""
        return q_halt > 0 if self.arch.no_ACT_continue else q_halt > q_continue


def _self_check():
    """fp32 against fp64 after one L and one H step; mlp_t's norm is over
    positions (normalising over channels instead changes the result)."""
    worst = 0.0
    for mlp_t, pos, Lp in ((False, "rope", 16), (True, "none", 16), (True, "learned", 0)):
        arch = TRMArch(hidden_size=32, num_heads=4, H_layers=0, L_layers=2, H_cycles=2, L_cycles=3, expansion=4,
                       puzzle_emb_ndim=32, pos_encodings=pos, vocab_size=10, seq_len=20,
                       num_puzzle_identifiers=3, mlp_t=mlp_t, puzzle_emb_len=Lp)
        w = random_weights(arch, 7)
        m32, m64 = TRMRef(arch, w, torch.float32), TRMRef(arch, w, torch.float64)
        inputs = torch.arange(2 * arch.seq_len).view(2, -1) % arch.vocab_size
        pids = torch.tensor([0, 2])
        with torch.no_grad():
            x = m32.input_embedding(inputs, pids)
            assert x.shape == (2, arch.T, 32)
            zH, zL = m32.initial_carry(2)
            zL32 = m32.L_step(zL, zH, x)
            zL64 = m64.L_step(zL.double(), zH.double(), x.double())
            zH32 = m32.H_step(zH, zL32)
            zH64 = m64.H_step(zH.double(), zL32.double())
            if mlp_t:
                h = zL32.double()
                u = m64.mix_positions(m64.blocks["L_level"][0], h).transpose(1, 2)
                assert torch.allclose(u.square().mean(-1), torch.ones_like(u[..., 0]), atol=1e-3), \
                    "mlp_t: rows over positions not normalised"
        rel = max(((a.double() - b).abs().max() / b.abs().max()).item()
                  for a, b in ((zL32, zL64), (zH32, zH64)))
        print("mlp_t %-5s pos %-7s Lp %2d: fp32 vs fp64 one L and H step %.2e" % (mlp_t, pos, arch.Lp, rel))
        worst = max(worst, rel)
    if worst > 5e-6:
        raise SystemExit("fp32 and fp64 disagree")


if __name__ == "__main__":
    _self_check()
