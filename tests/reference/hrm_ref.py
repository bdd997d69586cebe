#!/usr/bin/env python3
"""Reference forward pass of the Hierarchical Reasoning Model (HRM ACT v1).

Written for hrmscope's tests from the description in the project's HRM spec:
plain PyTorch ops, no fused kernels, computing in float32 or float64 throughout
(the official code runs in bfloat16; this file is the exact-arithmetic oracle).

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


def _rotate_half(v):
    h = v.shape[-1] // 2
    return torch.cat((-v[..., h:], v[..., :h]), dim=-1)


class HRMRef:
    def __init__(self, arch, weights, dtype=torch.float32):
        if dtype not in (torch.float32, torch.float64):
            raise ValueError("compute dtype must be float32 or float64")
        check_state(arch, weights)
        self.arch = arch
        self.dtype = dtype
        self.w = {k: v.detach().to(dtype).contiguous() for k, v in weights.items()}
        self.blocks = {
            m: [{r: self.w[n] for r, n in block_names(m, i).items()} for i in range(layers)]
            for m, layers in (("H_level", arch.H_layers), ("L_level", arch.L_layers))
        }
        if arch.pos_encodings == "rope":
            self.cos, self.sin = rope_tables(arch.T, arch.head_dim, arch.rope_theta, dtype)
        elif arch.pos_encodings == "learned":
            self.cos = self.sin = None
        else:
            raise ValueError("pos_encodings must be rope or learned")

    # -- pieces
    def _rope(self, v):  # v: [B, T, heads, hd]
        c = self.cos[:, None, :]
        s = self.sin[:, None, :]
        return v * c + _rotate_half(v) * s

    def attention(self, b, h):
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

    def mlp(self, b, h):
        gu = h @ b["gate_up"].T
        inter = gu.shape[-1] // 2
        g, u = gu[..., :inter], gu[..., inter:]
        return (torch.nn.functional.silu(g) * u) @ b["down"].T

    def block(self, b, h):
        eps = self.arch.rms_norm_eps
        h = rms_norm(h + self.attention(b, h), eps)
        return rms_norm(h + self.mlp(b, h), eps)

    def module(self, name, z, inj):
        h = z + inj
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
        if a.pos_encodings == "learned":
            x = LEARNED_POS_SCALE * (x + self.w["embed_pos.embedding_weight"])
        return x * math.sqrt(a.hidden_size)

    def initial_carry(self, batch):
        T, d = self.arch.T, self.arch.hidden_size
        zH = self.w["H_init"].expand(batch, T, d).clone()
        zL = self.w["L_init"].expand(batch, T, d).clone()
        return zH, zL

    def L_step(self, zL, zH, x):
        return self.module("L_level", zL, zH + x)

    def H_step(self, zH, zL):
        return self.module("H_level", zH, zL)

    def lm_logits(self, z):
        return (z @ self.w["lm_head.weight"].T)[:, self.arch.Lp:]

    def heads(self, zH):
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


if __name__ == "__main__":
    _self_check()
