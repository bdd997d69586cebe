#!/usr/bin/env python3
"""Write the bad inputs of docs/robustness.md's table that
make_golden.py does not (it needs torch; this needs only Python and a built
hrmscope):

    make_bad_inputs.py --hrmscope ./hrmscope [--out tests/fixtures/bad]

Checkpoints (each a directory with `checkpoint` and `all_config.yaml` of the
d 4 model of the other bad fixtures):
  empty/          a zero-length checkpoint
  traversal/      a valid checkpoint with one more zip entry named
                  archive/../../../hrmscope-traversal-probe
  pickle_bomb/    data.pkl is 1000 lists nested in each other
  short_storage/  the last storage's data entry is 4 bytes shorter than declared
  huge_tensor/    one tensor [2^38, 4] over a storage declared with 2^40
                  floats whose data entry holds 24
  expand_views/   two tensors of 2^28 elements with stride 0 over one 4-byte
                  storage, named as no tensor of the architecture (770 bytes)
  expand_known/   the architecture's first weight with stride 0 over a
                  one-element storage (48 values claimed from 1)
  none_bomb/      data.pkl appends 4 million Nones to a list (8 MB), deflated to 8 KB
  deflate_bomb/   data.pkl appends 512 million Nones (1 GB), deflated to 1 MB
Other inputs:
  yaml_wrong_type.yaml, yaml_unknown_key.yaml   arch files with one defect
  huge_arch.yaml  a valid arch of 3.3 billion parameters (for the memory limit)
  lying_npy/      a 5x5 maze dataset whose test/all__inputs.npy header claims
                  1000 rows over the data of 2
  maze_unknown_char.txt   a 5x5 maze with an 'x'
  eval_merge/     the output of `eval --shard 0/2` and `--shard 1/2` of the tiny
                  maze model on 4 fresh 5x5 mazes (good.txt), and copies whose
                  last summary line (line 32) is edited: shard=-1/2
                  (shard_negative.txt), shard=5/2 (shard_past_end.txt),
                  shard=100000000000/2 (shard_huge.txt); shards_huge.txt is
                  shard 0's output alone, edited to shard=0/100000000000

Deterministic: fixed seeds, fixed zip timestamps.  Nothing here unpickles.
"""

import argparse
import collections
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import types
import zipfile

sys.dont_write_bytecode = True

DATE_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, DATE_TIME), data)


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(n, z.read(n)) for n in z.namelist()]


def fake_torch():
    """Stand-ins with the names torch's pickles reference, so that the
    standard pickler writes GLOBAL torch._utils._rebuild_tensor_v2 and
    torch.FloatStorage without torch being installed."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("never called")

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    torch.FloatStorage = FloatStorage
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class TensorRef:
    def __init__(self, torch, storage, size, stride):
        self.torch, self.storage, self.size, self.stride = torch, storage, size, stride

    def __reduce__(self):
        return (self.torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))


def state_pickle(torch, tensors):
    """Protocol-2 pickle of an OrderedDict name -> tensor view, as torch.save."""
    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
            return None
    od = collections.OrderedDict()
    for name, (storage, size, stride) in tensors.items():
        od[name] = TensorRef(torch, storage, size, stride)
    buf = io.BytesIO()
    P(buf, protocol=2).dump(od)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hrmscope", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "fixtures", "bad"))
    a = ap.parse_args()
    out = a.out
    cfg = os.path.join(out, "wrong_shape", "all_config.yaml")
    tmp = tempfile.mkdtemp()
    try:
        def case(name):
            d = os.path.join(out, name)
            os.makedirs(d, exist_ok=True)
            shutil.copyfile(cfg, os.path.join(d, "all_config.yaml"))
            return os.path.join(d, "checkpoint")

        open(case("empty"), "wb").close()

        # a valid d 4 checkpoint from hrmscope init
        subprocess.run([a.hrmscope, "init", "--arch", cfg, "--vocab", "6", "--seq-len", "4",
                        "--puzzle-ids", "3", "--seed", "1", "-o", os.path.join(tmp, "valid")],
                       check=True, stdout=subprocess.DEVNULL)
        valid = read_zip(os.path.join(tmp, "valid", "checkpoint"))

        write_zip(case("traversal"), valid + [("archive/../../../hrmscope-traversal-probe", b"x\n")])

        data = [e for e in valid if "/data/" in e[0]]
        last = max(data, key=lambda e: int(e[0].rsplit("/", 1)[1]))
        write_zip(case("short_storage"),
                  [(n, b[:-4] if n == last[0] else b) for n, b in valid])

        bomb = b"\x80\x02" + b"]" * 1000 + b"a" * 999 + b"."
        write_zip(case("pickle_bomb"), [("archive/data.pkl", bomb), ("archive/version", b"3\n")])

        torch = fake_torch()
        big = Storage("0", 1 << 40)
        pkl = state_pickle(torch, {"_orig_mod.model.inner.lm_head.weight": (big, (1 << 38, 4), (4, 1))})
        write_zip(case("huge_tensor"), [("archive/data.pkl", pkl),
                                        ("archive/data/0", struct.pack("<24f", *range(24))),
                                        ("archive/version", b"3\n")])

        one = Storage("0", 1)
        pkl = state_pickle(torch, {"expanded.a": (one, (1 << 14, 1 << 14), (0, 0)),
                                   "expanded.b": (one, (1 << 14, 1 << 14), (0, 0))})
        write_zip(case("expand_views"), [("archive/data.pkl", pkl),
                                         ("archive/data/0", struct.pack("<f", 1.0)),
                                         ("archive/version", b"3\n")])
        pkl = state_pickle(torch, {"_orig_mod.model.inner.H_level.layers.0.self_attn.qkv_proj.weight":
                                   (one, (12, 4), (0, 0))})
        write_zip(case("expand_known"), [("archive/data.pkl", pkl),
                                         ("archive/data/0", struct.pack("<f", 1.0)),
                                         ("archive/version", b"3\n")])
        nones = 4 << 20
        with zipfile.ZipFile(case("none_bomb"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.writestr(zipfile.ZipInfo("archive/data.pkl", DATE_TIME),
                       b"\x80\x02]" + b"Na" * nones + b".", zipfile.ZIP_DEFLATED)
        with zipfile.ZipFile(case("deflate_bomb"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.writestr(zipfile.ZipInfo("archive/data.pkl", DATE_TIME),
                       b"\x80\x02]" + b"Na" * ((1 << 29) - 2) + b".", zipfile.ZIP_DEFLATED)

        arch = open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "models", "tiny_maze.yaml")).read()
        with open(os.path.join(out, "yaml_wrong_type.yaml"), "w") as f:
            f.write("# tiny_maze.yaml with a word where a number belongs\n" +
                    arch.replace("hidden_size: 16", "hidden_size: sixteen"))
        with open(os.path.join(out, "yaml_unknown_key.yaml"), "w") as f:
            f.write("# tiny_maze.yaml with a misspelt key\n" +
                    arch.replace("hidden_size: 16", "hiden_size: 16"))
        with open(os.path.join(out, "huge_arch.yaml"), "w") as f:
            f.write("# a valid arch of 3.3 billion parameters (12.3 GiB of weights)\n" +
                    arch.replace("hidden_size: 16", "hidden_size: 2048")
                    .replace("H_layers: 1", "H_layers: 32").replace("L_layers: 1", "L_layers: 32")
                    .replace("num_heads: 2", "num_heads: 16").replace("puzzle_emb_ndim: 16", "puzzle_emb_ndim: 0")
                    .replace("expansion: 2", "expansion: 4"))

        with open(os.path.join(out, "maze_unknown_char.txt"), "w") as f:
            f.write("#####\n#S  #\n# x #\n#  G#\n#####\n")

        ds = os.path.join(out, "lying_npy")
        shutil.rmtree(ds, ignore_errors=True)
        subprocess.run([a.hrmscope, "gen", "maze", "--size", "5", "--count", "2", "--test-count", "2",
                        "--seed", "1", "-o", ds], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(os.path.join(ds, "train"))
        p = os.path.join(ds, "test", "all__inputs.npy")
        raw = open(p, "rb").read()
        hlen = struct.unpack("<H", raw[8:10])[0]
        header = raw[10:10 + hlen].decode("latin1")
        lie = header.replace("'shape': (2, 25)", "'shape': (1000, 25)")
        assert lie != header, header
        lie = lie[:hlen - 1].ljust(hlen - 1) + "\n"
        open(p, "wb").write(raw[:10] + lie.encode("latin1") + raw[10 + hlen:])

        eval_merge(a.hrmscope, out, tmp)
    finally:
        shutil.rmtree(tmp)


def eval_merge(hrmscope, out, tmp):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    ds = os.path.join(tmp, "merge_ds")
    subprocess.run([hrmscope, "gen", "maze", "--size", "5", "--count", "2", "--test-count", "4",
                    "--seed", "1", "-o", ds], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shards = [subprocess.run([hrmscope, "eval", "--model", os.path.join(here, "tests", "fixtures", "models", "tiny_maze"),
                              "--data", ds, "--shard", "%d/2" % i, "--threads", "1"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout for i in range(2)]
    d = os.path.join(out, "eval_merge")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "good.txt"), "w") as f:
        f.write(shards[0] + shards[1])
    for name, shard in (("shard_negative", "-1/2"), ("shard_past_end", "5/2"), ("shard_huge", "100000000000/2")):
        edited = shards[1].replace("hrmscope-eval shard=1/2 ", "hrmscope-eval shard=%s " % shard)
        assert edited != shards[1]
        with open(os.path.join(d, name + ".txt"), "w") as f:
            f.write(shards[0] + edited)
    with open(os.path.join(d, "shards_huge.txt"), "w") as f:
        f.write(shards[0].replace("hrmscope-eval shard=0/2 ", "hrmscope-eval shard=0/100000000000 "))


if __name__ == "__main__":
    main()
