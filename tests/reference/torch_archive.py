"""Writing torch.save archives byte by byte, for fixtures that torch.save
itself would not produce: the torch >= 2.4 record layout, ZIP64 everywhere,
and pickles that lie about tensor sizes.  Nothing here unpickles anything."""

import collections
import io
import pickle
import struct
import zipfile
import zlib

import torch

DOS_TIME, DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00


def write_zip(path, entries, zip64=False, align=64):
    """Stored (uncompressed) zip of (name, bytes) as torch >= 2 writes it:
    every entry's data starts on an `align`-byte boundary, padded with an
    extra field 'FB' in the local header.  With zip64 every local and central
    header carries a ZIP64 extra field (sizes and offsets 0xFFFFFFFF in the
    fixed fields) and the archive ends with ZIP64 end-of-central-directory
    record and locator before the classic record (counts 0xFFFF)."""
    out = bytearray()
    central = bytearray()
    ver = 45 if zip64 else 20
    for name, data in entries:
        nb = name.encode()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        off = len(out)
        local_x = struct.pack("<HHQQ", 0x0001, 16, len(data), len(data)) if zip64 else b""
        pad = (-(off + 30 + len(nb) + len(local_x) + 4)) % align
        local_x += struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        size = 0xFFFFFFFF if zip64 else len(data)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, ver, 0, 0, DOS_TIME, DOS_DATE,
                           crc, size, size, len(nb), len(local_x))
        out += nb + local_x
        assert len(out) % align == 0
        out += data
        central_x = struct.pack("<HHQQQ", 0x0001, 24, len(data), len(data), off) if zip64 else b""
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, ver, ver, 0, 0, DOS_TIME, DOS_DATE,
                               crc, size, size, len(nb), len(central_x), 0, 0, 0, 0,
                               0xFFFFFFFF if zip64 else off)
        central += nb + central_x
    cd_off, cd_size, n = len(out), len(central), len(entries)
    out += central
    if zip64:
        eocd64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, ver, ver, 0, 0, n, n, cd_size, cd_off)
        out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_size, cd_off, 0)
    with open(path, "wb") as f:
        f.write(out)


def torch2_entries(src, prefix):
    """The records of torch.save file `src` (torch 1.x layout) renamed and
    completed the way torch >= 2.4 lays them out."""
    with zipfile.ZipFile(src) as z:
        names = z.namelist()
        old = names[0].split("/")[0]
        rec = {n[len(old) + 1:]: z.read(n) for n in names}
    data = sorted((k for k in rec if k.startswith("data/")), key=lambda k: int(k[5:]))
    e = [("data.pkl", rec["data.pkl"]),
         (".format_version", b"1"),
         (".storage_alignment", b"64"),
         ("byteorder", b"little")]
    e += [(k, rec[k]) for k in data]
    e += [("version", b"3\n"),
          (".data/serialization_id", b"0740213317425917390201574163120937485612")]
    return [(prefix + "/" + k, v) for k, v in e]


class _Storage:
    def __init__(self, key, tensor):
        self.key = key
        self.tensor = tensor


class _TensorRef:
    """Pickles as torch's _rebuild_tensor_v2 call with a size/stride of our
    choosing, over a storage named by a persistent id."""

    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))


_STORAGE_TYPES = {torch.float32: torch.FloatStorage, torch.bfloat16: torch.BFloat16Storage,
                  torch.float16: torch.HalfStorage, torch.float64: torch.DoubleStorage}


class _StatePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            t = obj.tensor
            return ("storage", _STORAGE_TYPES[t.dtype], obj.key, "cpu", t.numel())
        return None


def forged_checkpoint_entries(state, prefix, size_override):
    """A torch.save-like archive of `state` whose pickle claims the sizes in
    size_override (name -> (size, stride)) instead of the real ones."""
    od = collections.OrderedDict()
    blobs = []
    for i, (k, t) in enumerate(state.items()):
        st = _Storage(str(i), t)
        size, stride = size_override.get(k, (tuple(t.shape), tuple(t.stride())))
        od[k] = _TensorRef(st, size, stride)
        raw = t.contiguous().view(torch.int16).numpy() if t.dtype in (torch.bfloat16, torch.float16) \
            else t.contiguous().numpy()
        blobs.append(("data/%d" % i, raw.tobytes()))
    buf = io.BytesIO()
    _StatePickler(buf, protocol=2).dump(od)
    e = [("data.pkl", buf.getvalue())] + blobs + [("version", b"3\n")]
    return [(prefix + "/" + k, v) for k, v in e]


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b
