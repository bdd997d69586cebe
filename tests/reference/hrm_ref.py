#!/usr/bin/env python3
"""Reference forward pass of the Hierarchical Reasoning Model (HRM ACT v1).

Written for hrmscope's tests from the description in the project's HRM spec:
plain PyTorch ops, no fused kernels, computing in float32 or float64 throughout
(the exact-arithmetic oracle), or in torch.bfloat16 on CPU rounding where the
official code with forward_dtype bfloat16 rounds (see "bfloat16 mode" below).

The model is exposed step by step so that a test can start any step from a
stored state:

    x          = model.input_embedding(inputs, puzzle_ids)   # [B, T, d]
    zH, zL     = model.initial_carry(B)
    zL         = model.L_step(zL, zH, x)                     # L_level(zL, zH + x)
    zH         = model.H_step(zH, zL)                        # H_level(zH, zL)
    logits, q_halt, q_continue = model.heads(zH)
    model.probe(zH, zL)      lm_head(H_level(zH, zL))[:, Lp:], state untouched
    model.decode_zL(zL)      lm_head(zL)[:, Lp:]

Weights live in a dict keyed by the canonical tensor names (the checkpoint key
without the `_orig_mod.model.inner.` prefix) and keep the dtype they are stored
in; HRMRef converts them to its compute dtype, so a bfloat16 tensor enters the
computation with its rounded values.

bfloat16 mode (HRMRef(..., torch.bfloat16)) follows the official model files
(models/layers.py, models/hrm/hrm_act_v1.py, models/sparse_embedding.py) with
forward_dtype bfloat16; every rounding is round-to-nearest-even of an fp32 value:

- Elementwise ops compute in fp32 and round once, as the CUDA kernels the
  official code ran on do (PyTorch's "opmath": bf16 inputs and Python-float
  scalars as fp32).  They are written out that way here (x.float() ...
  .to(bfloat16)) because torch's own CPU bf16 kernels differ in two places
  (torch 1.13, measured: 22% of sqrt(12) * x and 29% of F.silu(x) come out
  one ulp off): a Python-float scalar is rounded to bf16 before the
  product, and silu rounds after each of its inner steps.  Adds and
  products of two bf16 tensors agree either way.
- CastedEmbedding / CastedSparseEmbedding: the weight cast to bf16, then the
  lookup; learned positions: bf16 add, then 0.707106781 * (...); then
  sqrt(d) * (...) (fp32 scalar and product, rounded).  H_init/L_init are bf16.
- CastedLinear (qkv, o, gate_up, down, lm_head, q_head): F.linear with the
  weight (and bias) cast to bf16: bf16 operands, fp32 accumulation, one
  rounding of each output.  Computed here as an fp32 matmul of the bf16
  values (a product of two bf16 values is exact in fp32) rounded once, so the
  result does not depend on which bf16 gemm torch picks on this CPU; the only
  freedom left is the order of the fp32 sums.  q_head: the bias is added to
  the fp32 sum before the one rounding (as a fused bias epilogue does), then
  .to(float32).
- apply_rotary_pos_emb: q and k cast to fp32, rotated with the fp32 cos/sin
  tables (built in fp32 as RotaryEmbedding does), cast back to bf16.
- Attention (flash_attn_func on bf16 q, k, v): scores q k^T in fp32, times
  1/sqrt(head_dim) in fp32, p = exp(s - rowmax) in fp32; p ROUNDED TO BF16
  before the product with v (flash-attention converts P to bf16 for its second
  gemm; fp32 sums), that product multiplied by 1 / (fp32 sum of the UNROUNDED
  p) (flash-attention's row sum is taken from the fp32 P), the output rounded
  to bf16 once.  (A CPU softmax in fp32 followed by p @ v in fp32 would differ
  only in keeping p unrounded.)  The whole row at once: flash-attention's
  online softmax rescales between key blocks of 128 or more keys, which the
  sequences here (T <= 122) fit in; longer ones would differ there.
- Residual h + a: bf16 add (fp32 sum rounded); rms_norm casts to fp32,
  x * rsqrt(mean(x^2) + eps), casts back to bf16.
- SwiGLU: silu(gate) = gate / (1 + exp(-gate)) in fp32, rounded; times up,
  rounded.
- z_H + x and z + injection: bf16 adds.  logits bf16.
"""

import collections
import math
from dataclasses import dataclass, asdict

import numpy as np
import torch

CHECKPOINT_PREFIX = "_orig_mod.model.inner."
# Prefixes seen on state-dict keys: torch.compile'd loss head, plain loss head,
# compiled bare model.
KNOWN_PREFIXES = ("_orig_mod.model.inner.", "model.inner.", "_orig_mod.", "inner.")

RMS_EPS = 1e-5
ROPE_THETA = 10000.0
LEARNED_POS_SCALE = 0.707106781


def swiglu_width(hidden_size, expansion):
    """SwiGLU inner width: Python round() (half to even) of 2/3 * expansion * d,
    then rounded up to a multiple of 256."""
    r = round(expansion * hidden_size * 2 / 3)
    return -(-r // 256) * 256


@dataclass
class Arch:
    hidden_size: int
    num_heads: int
    H_layers: int
    L_layers: int
    H_cycles: int
    L_cycles: int
    expansion: float
    puzzle_emb_ndim: int
    pos_encodings: str  # "rope" | "learned"
    vocab_size: int = 0
    seq_len: int = 0
    num_puzzle_identifiers: int = 0
    halt_max_steps: int = 16
    halt_exploration_prob: float = 0.1
    rms_norm_eps: float = RMS_EPS
    rope_theta: float = ROPE_THETA

    @property
    def head_dim(self):
        return self.hidden_size // self.num_heads

    @property
    def inter(self):
        return swiglu_width(self.hidden_size, self.expansion)

    @property
    def Lp(self):
        return -(-self.puzzle_emb_ndim // self.hidden_size)

    @property
    def T(self):
        return self.seq_len + self.Lp

    def as_dict(self):
        return asdict(self)


ARCH_YAML_KEYS = ("hidden_size", "num_heads", "H_layers", "L_layers", "H_cycles",
                  "L_cycles", "expansion", "puzzle_emb_ndim", "pos_encodings",
                  "halt_max_steps", "halt_exploration_prob", "rms_norm_eps", "rope_theta")


def arch_from_config(cfg, state=None):
    """Arch from an all_config.yaml dict (or a bare arch dict); vocab_size,
    seq_len and num_puzzle_identifiers come from the tensors when `state`
    (canonical names) is given."""
    a = cfg.get("arch", cfg)
    kw = {k: a[k] for k in ARCH_YAML_KEYS if k in a}
    arch = Arch(**kw)
    if state is not None:
        arch.vocab_size = state["embed_tokens.embedding_weight"].shape[0]
        if "embed_pos.embedding_weight" in state:
            arch.seq_len = state["embed_pos.embedding_weight"].shape[0] - arch.Lp
        if "puzzle_emb.weights" in state:
            arch.num_puzzle_identifiers = state["puzzle_emb.weights"].shape[0]
    return arch


def block_names(module, n):
    p = "%s.layers.%d." % (module, n)
    return {
        "qkv": p + "self_attn.qkv_proj.weight",
        "o": p + "self_attn.o_proj.weight",
        "gate_up": p + "mlp.gate_up_proj.weight",
        "down": p + "mlp.down_proj.weight",
    }


def expected_shapes(arch):
    """Canonical tensor name -> shape, in the order the official model
    registers them (this is also the state-dict order)."""
    d, V, inter = arch.hidden_size, arch.vocab_size, arch.inter
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
        s["embed_pos.embedding_weight"] = (arch.T, d)
    for module, layers in (("H_level", arch.H_layers), ("L_level", arch.L_layers)):
        for n in range(layers):
            b = block_names(module, n)
            s[b["qkv"]] = (3 * d, d)
            s[b["o"]] = (d, d)
            s[b["gate_up"]] = (2 * inter, d)
            s[b["down"]] = (d, inter)
    return s


# ---------------------------------------------------------------- weights

def _trunc_normal(rng, shape, std):
    """Normal(0, std^2) truncated at +-2 standard deviations of the underlying
    normal, rescaled so that the *truncated* distribution has standard
    deviation `std` (JAX / flax convention, which the official init follows).
    Sampled by redrawing out-of-range values."""
    if std == 0:
        return np.zeros(shape, dtype=np.float64)
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    # variance of a unit normal truncated to [-2, 2]
    mass = math.erf(2.0 / math.sqrt(2.0))
    pdf2 = math.exp(-2.0) / math.sqrt(2.0 * math.pi)
    unit_var = 1.0 - 2.0 * 2.0 * pdf2 / mass
    return z * (std / math.sqrt(unit_var))


def random_weights(arch, seed, official_q_head=False, zero_puzzle_emb=False,
                   store_dtypes=None):
    """A full set of weights with the official initialisation's scales, except
    (by default) q_head and puzzle_emb, which are random so that every path of
    the computation matters.  store_dtypes maps canonical names to the dtype
    the tensor is stored in (default float32; H_init/L_init bfloat16)."""
    rng = np.random.default_rng(seed)
    d = arch.hidden_size
    out = collections.OrderedDict()
    store = {"H_init": torch.bfloat16, "L_init": torch.bfloat16}
    store.update(store_dtypes or {})
    for name, shape in expected_shapes(arch).items():
        if name in ("H_init", "L_init"):
            w = _trunc_normal(rng, shape, 1.0)
        elif name in ("embed_tokens.embedding_weight", "embed_pos.embedding_weight"):
            w = _trunc_normal(rng, shape, 1.0 / math.sqrt(d))
        elif name == "puzzle_emb.weights":
            w = _trunc_normal(rng, shape, 0.0 if zero_puzzle_emb else 1.0)
        elif name == "q_head.weight":
            w = np.zeros(shape) if official_q_head else _trunc_normal(rng, shape, 1.0 / math.sqrt(d))
        elif name == "q_head.bias":
            w = np.full(shape, -5.0) if official_q_head else rng.uniform(-1.0, 1.0, shape)
        else:  # every linear layer: LeCun, std 1/sqrt(fan_in)
            w = _trunc_normal(rng, shape, 1.0 / math.sqrt(shape[1]))
        t = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
        out[name] = t.to(store.get(name, torch.float32)).contiguous()
    return out


def canonical_state(sd):
    """Strip the module prefix from state-dict keys."""
    out = collections.OrderedDict()
    for k, v in sd.items():
        for p in KNOWN_PREFIXES:
            if k.startswith(p):
                k = k[len(p):]
                break
        out[k] = v
    return out


def prefixed_state(weights, prefix=CHECKPOINT_PREFIX):
    return collections.OrderedDict((prefix + k, v) for k, v in weights.items())


def check_state(arch, state):
    """Raise ValueError unless `state` holds exactly the expected tensors."""
    want = expected_shapes(arch)
    missing = [k for k in want if k not in state]
    extra = [k for k in state if k not in want]
    if missing or extra:
        raise ValueError("missing %s, unexpected %s" % (missing, extra))
    for k, shape in want.items():
        if tuple(state[k].shape) != tuple(shape):
            raise ValueError("%s: shape %s, expected %s" % (k, tuple(state[k].shape), shape))


# ---------------------------------------------------------------- model

def rope_tables(T, head_dim, theta, dtype):
    """cos/sin tables [T, head_dim] (the half table repeated).  In float32 the
    table is built with float32 arithmetic as the official RotaryEmbedding does
    (inverse frequencies, positions and angles all float32); in float64 it is
    exact to double precision."""
    half = torch.arange(0, head_dim, 2, dtype=dtype) / head_dim
    inv_freq = 1.0 / (theta ** half)
    pos = torch.arange(T, dtype=dtype)
    ang = pos[:, None] * inv_freq[None, :]
    ang = torch.cat((ang, ang), dim=-1)
    return ang.cos(), ang.sin()


def rms_norm(v, eps):
    return v * torch.rsqrt(v.square().mean(-1, keepdim=True) + eps)


def _bf(v):
    """One rounding of an fp32 result to bfloat16 (nearest even)."""
    return v.to(torch.bfloat16)


def _rotate_half(v):
    h = v.shape[-1] // 2
    return torch.cat((-v[..., h:], v[..., :h]), dim=-1)


class HRMRef:
    def __init__(self, arch, weights, dtype=torch.float32):
        if dtype not in (torch.float32, torch.float64, torch.bfloat16):
            raise ValueError("compute dtype must be float32, float64 or bfloat16")
        check_state(arch, weights)
        self.arch = arch
        self.dtype = dtype
        self.bf16 = dtype == torch.bfloat16
        # bf16: every weight is cast to bf16 where it is used (CastedLinear,
        # CastedEmbedding, puzzle_emb .to(cast_to)); casting once is the same
        self.w = {k: v.detach().to(dtype).contiguous() for k, v in weights.items()}
        self.blocks = {
            m: [{r: self.w[n] for r, n in block_names(m, i).items()} for i in range(layers)]
            for m, layers in (("H_level", arch.H_layers), ("L_level", arch.L_layers))
        }
        if arch.pos_encodings == "rope":
            # bf16: the official tables are fp32 buffers
            self.cos, self.sin = rope_tables(arch.T, arch.head_dim, arch.rope_theta,
                                             torch.float32 if self.bf16 else dtype)
        elif arch.pos_encodings == "learned":
            self.cos = self.sin = None
        else:
            raise ValueError("pos_encodings must be rope or learned")

    # -- pieces
    def linear(self, x, w):
        """F.linear without bias; bf16: fp32 sums of the (exact) products of
        bf16 values, each output rounded once to bf16."""
        if self.bf16:
            return (x.float() @ w.float().T).to(torch.bfloat16)
        return x @ w.T

    def _rope(self, v):  # v: [B, T, heads, hd]
        c = self.cos[:, None, :]
        s = self.sin[:, None, :]
        if self.bf16:  # apply_rotary_pos_emb: to fp32, rotate, back to bf16
            v = v.float()
            return (v * c + _rotate_half(v) * s).to(torch.bfloat16)
        return v * c + _rotate_half(v) * s

    def _norm(self, v):
        if self.bf16:  # rms_norm: to fp32, normalise, back to bf16
            return rms_norm(v.float(), self.arch.rms_norm_eps).to(torch.bfloat16)
        return rms_norm(v, self.arch.rms_norm_eps)

    def qkv_rope(self, b, h):
        """The qkv projection [B, T, 3d] with q and k rotated (v as projected)."""
        B, T, d = h.shape
        nh, hd = self.arch.num_heads, self.arch.head_dim
        qkv = self.linear(h, b["qkv"]).view(B, T, 3 * nh, hd)
        q, k, v = qkv[:, :, :nh], qkv[:, :, nh:2 * nh], qkv[:, :, 2 * nh:]
        if self.cos is not None:
            q, k = self._rope(q), self._rope(k)
        return torch.cat((q, k, v), dim=2).reshape(B, T, 3 * d)

    def attend(self, qkv):
        """Attention of a [B, T, 3d] q|k|v (q, k rotated), before o_proj."""
        B, T, d3 = qkv.shape
        d, nh, hd = d3 // 3, self.arch.num_heads, self.arch.head_dim
        qkv = qkv.view(B, T, 3 * nh, hd)
        q, k, v = qkv[:, :, :nh], qkv[:, :, nh:2 * nh], qkv[:, :, 2 * nh:]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, heads, T, hd]
        if self.bf16:  # flash-attention's arithmetic, see the module docstring
            scores = (q.float() @ k.float().transpose(-1, -2)) * (1.0 / math.sqrt(hd))
            p = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
            inv = 1.0 / p.sum(dim=-1, keepdim=True)
            o = (p.to(torch.bfloat16).float() @ v.float()) * inv
            return o.to(torch.bfloat16).transpose(1, 2).reshape(B, T, d)
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        p = torch.softmax(scores, dim=-1)
        return (p @ v).transpose(1, 2).reshape(B, T, d)

    def attention(self, b, h):
        if self.bf16:
            return self.linear(self.attend(self.qkv_rope(b, h)), b["o"])
        # fp32/fp64: q, k, v as views of the projection (the fixtures' summation order)
        B, T, d = h.shape
        nh, hd = self.arch.num_heads, self.arch.head_dim
        qkv = (h @ b["qkv"].T).view(B, T, 3 * nh, hd)
        q, k, v = qkv[:, :, :nh], qkv[:, :, nh:2 * nh], qkv[:, :, 2 * nh:]
        if self.cos is not None:
            q, k = self._rope(q), self._rope(k)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, heads, T, hd]
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        p = torch.softmax(scores, dim=-1)
        a = (p @ v).transpose(1, 2).reshape(B, T, d)
        return a @ b["o"].T

    def add(self, a, b):
        """a + b; bf16: fp32 sum rounded once."""
        return _bf(a.float() + b.float()) if self.bf16 else a + b

    def swiglu(self, gu):
        inter = gu.shape[-1] // 2
        g, u = gu[..., :inter], gu[..., inter:]
        if self.bf16:  # silu in fp32, rounded; the product rounded
            return _bf(_bf(torch.nn.functional.silu(g.float())).float() * u.float())
        return torch.nn.functional.silu(g) * u

    def mlp(self, b, h):
        return self.linear(self.swiglu(self.linear(h, b["gate_up"])), b["down"])

    def block(self, b, h, ops=None):
        """One block; ops (a dict) receives every intermediate when given."""
        if ops is None:
            h = self._norm(self.add(h, self.attention(b, h)))
            return self._norm(self.add(h, self.mlp(b, h)))
        ops["in"] = h
        ops["qkv"] = self.linear(h, b["qkv"])
        ops["qkv_rope"] = self.qkv_rope(b, h)
        ops["attn"] = self.attend(ops["qkv_rope"])
        ops["o"] = self.linear(ops["attn"], b["o"])
        h = ops["h1"] = self._norm(self.add(h, ops["o"]))
        ops["gu"] = self.linear(h, b["gate_up"])
        ops["act"] = self.swiglu(ops["gu"])
        ops["down"] = self.linear(ops["act"], b["down"])
        h = ops["h2"] = self._norm(self.add(h, ops["down"]))
        return h

    def module(self, name, z, inj):
        h = self.add(z, inj)
        for b in self.blocks[name]:
            h = self.block(b, h)
        return h

    # -- public steps
    def input_embedding(self, inputs, puzzle_ids):
        a = self.arch
        inputs = torch.as_tensor(inputs).long()
        x = self.w["embed_tokens.embedding_weight"][inputs]  # [B, S, d]
        B = x.shape[0]
        if a.puzzle_emb_ndim > 0:
            pe = self.w["puzzle_emb.weights"][torch.as_tensor(puzzle_ids).long()]  # [B, P]
            pad = a.Lp * a.hidden_size - a.puzzle_emb_ndim
            if pad:
                pe = torch.cat((pe, pe.new_zeros(B, pad)), dim=-1)
            x = torch.cat((pe.view(B, a.Lp, a.hidden_size), x), dim=1)
        if self.bf16:  # fp32 scalars and products, each rounded
            if a.pos_encodings == "learned":
                x = _bf(LEARNED_POS_SCALE * self.add(x, self.w["embed_pos.embedding_weight"]).float())
            return _bf(math.sqrt(a.hidden_size) * x.float())
        if a.pos_encodings == "learned":
            x = LEARNED_POS_SCALE * (x + self.w["embed_pos.embedding_weight"])
        return x * math.sqrt(a.hidden_size)

    def initial_carry(self, batch):
        T, d = self.arch.T, self.arch.hidden_size
        zH = self.w["H_init"].expand(batch, T, d).clone()
        zL = self.w["L_init"].expand(batch, T, d).clone()
        return zH, zL

    def L_step(self, zL, zH, x):
        return self.module("L_level", zL, self.add(zH, x))

    def H_step(self, zH, zL):
        return self.module("H_level", zH, zL)

    def lm_logits(self, z):
        return self.linear(z, self.w["lm_head.weight"])[:, self.arch.Lp:]

    def heads(self, zH):
        if self.bf16:  # bias into the fp32 sum, one rounding, then .to(float32)
            q = (zH[:, 0].float() @ self.w["q_head.weight"].float().T
                 + self.w["q_head.bias"].float()).to(torch.bfloat16).float()
        else:
            q = zH[:, 0] @ self.w["q_head.weight"].T + self.w["q_head.bias"]
        return self.lm_logits(zH), q[..., 0], q[..., 1]

    def probe(self, zH, zL):
        return self.lm_logits(self.H_step(zH, zL))

    def decode_zL(self, zL):
        return self.lm_logits(zL)

    def segment(self, zH, zL, x, observe=None):
        """One ACT segment; observe(kind, i, j, zH, zL) is called after every
        L step (kind "L") and H step (kind "H")."""
        for i in range(self.arch.H_cycles):
            for j in range(self.arch.L_cycles):
                zL = self.L_step(zL, zH, x)
                if observe:
                    observe("L", i, j, zH, zL)
            zH = self.H_step(zH, zL)
            if observe:
                observe("H", i, None, zH, zL)
        return zH, zL


@torch.no_grad()
def run(model, inputs, puzzle_ids, segments):
    """Free-running forward: list of (zH, zL, logits, q_halt, q_continue) at
    each segment end."""
    x = model.input_embedding(inputs, puzzle_ids)
    zH, zL = model.initial_carry(x.shape[0])
    out = []
    for _ in range(segments):
        zH, zL = model.segment(zH, zL, x)
        out.append((zH, zL) + model.heads(zH))
    return out


def _self_check():
    """float32 and float64 agree to ~1e-6 after one L step and one H step."""
    worst = 0.0
    for pos, P in (("rope", 32), ("learned", 0)):
        arch = Arch(hidden_size=32, num_heads=4, H_layers=2, L_layers=2, H_cycles=2, L_cycles=2,
                    expansion=4, puzzle_emb_ndim=P, pos_encodings=pos, vocab_size=10, seq_len=20,
                    num_puzzle_identifiers=3)
        w = random_weights(arch, 7)
        m32, m64 = HRMRef(arch, w, torch.float32), HRMRef(arch, w, torch.float64)
        inputs = torch.arange(2 * arch.seq_len).view(2, -1) % arch.vocab_size
        pids = torch.tensor([0, 2])
        with torch.no_grad():
            x = m32.input_embedding(inputs, pids)
            zH, zL = m32.initial_carry(2)
            zL32 = m32.L_step(zL, zH, x)
            zL64 = m64.L_step(zL.double(), zH.double(), x.double())
            zH32 = m32.H_step(zH, zL32)
            zH64 = m64.H_step(zH.double(), zL32.double())
        rel = max(((a.double() - b).abs().max() / b.abs().max()).item()
                  for a, b in ((zL32, zL64), (zH32, zH64)))
        print("%-7s fp32 vs fp64, one L and one H step: max-abs rel %.2e" % (pos, rel))
        worst = max(worst, rel)
    if worst > 5e-6:
        raise SystemExit("fp32 and fp64 disagree")
    # bf16: 8 significant bits, about 4e-3 relative per rounding
    w = random_weights(arch, 8)
    mb, m64 = HRMRef(arch, w, torch.bfloat16), HRMRef(arch, w, torch.float64)
    with torch.no_grad():
        x = mb.input_embedding(inputs, pids)
        zH, zL = mb.initial_carry(2)
        zLb = mb.L_step(zL, zH, x)
        zL64 = m64.L_step(zL.double(), zH.double(), x.double())
    rel = ((zLb.double() - zL64).norm() / zL64.norm()).item()
    print("bf16 vs fp64, one L step: L2 rel %.2e" % rel)
    if not 1e-4 < rel < 3e-2 or zLb.dtype != torch.bfloat16:
        raise SystemExit("bf16 mode does not round like bf16")


if __name__ == "__main__":
    _self_check()
