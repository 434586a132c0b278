"""A small, independent GGUF reader and dequantiser in numpy (float64).

It shares no code with tokenfab's C++ reader: it is the second opinion the forward-pass
reference test compares against. Supports the weight types tokenfab computes with:
F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"

# value type -> struct format (scalars only)
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}

# ggml type -> (name, elements per block, bytes per block)
TYPES = {0: ("f32", 1, 4), 1: ("f16", 1, 2), 2: ("q4_0", 32, 18), 8: ("q8_0", 32, 34),
         12: ("q4_K", 256, 144), 14: ("q6_K", 256, 210), 30: ("bf16", 1, 2)}


class GgufModel:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.pos = 0
        if self._take(4) != GGUF_MAGIC:
            raise ValueError(f"{path}: not a GGUF file")
        self.version = self._scalar(4)
        if self.version not in (2, 3):
            raise ValueError(f"{path}: unsupported GGUF version {self.version}")
        n_tensors = self._scalar(10)
        n_kv = self._scalar(10)
        self.kv = {}
        for _ in range(n_kv):
            key = self._string()
            self.kv[key] = self._value(self._scalar(4))
        infos = []
        for _ in range(n_tensors):
            name = self._string()
            n_dims = self._scalar(4)
            dims = [self._scalar(10) for _ in range(n_dims)]
            ggml_type = self._scalar(4)
            offset = self._scalar(10)
            infos.append((name, dims, ggml_type, offset))
        alignment = self.kv.get("general.alignment", 32)
        data_start = (self.pos + alignment - 1) // alignment * alignment
        self.tensors = {name: (dims, t, data_start + off) for name, dims, t, off in infos}
        # Dequantised once: a forward pass reads every tensor, and the test runs several.
        self._dequantized = {}

    def _take(self, n):
        out = self.data[self.pos:self.pos + n]
        if len(out) != n:
            raise ValueError("truncated GGUF file")
        self.pos += n
        return out

    def _scalar(self, value_type):
        fmt = _SCALARS[value_type]
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def _string(self):
        return self._take(self._scalar(10)).decode("utf-8", errors="surrogateescape")

    def _value(self, value_type):
        if value_type == 8:
            return self._string()
        if value_type == 9:
            item_type = self._scalar(4)
            return self._array(item_type, self._scalar(10))
        return self._scalar(value_type)

    def _array(self, item_type, count):
        # Vocabularies hold ~150k strings: read them in one tight loop, scalars in one buffer.
        if item_type in _SCALARS:
            dtype = np.dtype(_SCALARS[item_type])
            return np.frombuffer(self._take(count * dtype.itemsize), dtype).tolist()
        if item_type != 8:
            return [self._value(item_type) for _ in range(count)]
        data, pos, out = self.data, self.pos, []
        for _ in range(count):
            length = int.from_bytes(data[pos:pos + 8], "little")
            pos += 8
            out.append(data[pos:pos + length].decode("utf-8", errors="surrogateescape"))
            pos += length
        if pos > len(data):
            raise ValueError("truncated GGUF file")
        self.pos = pos
        return out

    def has(self, name):
        return name in self.tensors

    def tensor(self, name):
        """The tensor as float64, numpy shape = reversed GGUF dims (rows, row_length); read-only."""
        if name not in self._dequantized:
            self._dequantized[name] = self._dequantize(name)
        return self._dequantized[name]

    def _dequantize(self, name):
        dims, ggml_type, start = self.tensors[name]
        _, block, block_bytes = TYPES[ggml_type]
        count = int(np.prod(dims))
        raw = np.frombuffer(self.data, dtype=np.uint8, count=count // block * block_bytes,
                            offset=start)
        values = dequantize(ggml_type, raw, count).reshape(list(reversed(dims)))
        values.flags.writeable = False
        return values


def _half(raw_u8_pairs):
    return raw_u8_pairs.copy().view(np.float16).astype(np.float64)


def dequantize(ggml_type, raw, count):
    name = TYPES[ggml_type][0]
    if name == "f32":
        return raw.view(np.float32).astype(np.float64)
    if name == "f16":
        return raw.view(np.float16).astype(np.float64)
    if name == "bf16":
        return (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    if name == "q8_0":
        blocks = raw.reshape(-1, 34)
        d = _half(blocks[:, 0:2]).reshape(-1, 1)
        q = blocks[:, 2:].view(np.int8).astype(np.float64)
        return (d * q).reshape(-1)
    if name == "q4_0":
        blocks = raw.reshape(-1, 18)
        d = _half(blocks[:, 0:2]).reshape(-1, 1)
        qs = blocks[:, 2:]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float64) - 8
        return (d * q).reshape(-1)
    if name == "q4_K":
        return _dequantize_q4_k(raw.reshape(-1, 144))
    if name == "q6_K":
        return _dequantize_q6_k(raw.reshape(-1, 210))
    raise ValueError(f"unsupported type {name}")


def _q4_k_scales(scales):
    """8 (scale, min) pairs of 6 bits each from the 12 packed bytes, per block."""
    s = scales.astype(np.int64)
    sc = np.zeros((s.shape[0], 8), dtype=np.int64)
    mn = np.zeros((s.shape[0], 8), dtype=np.int64)
    for j in range(8):
        if j < 4:
            sc[:, j] = s[:, j] & 63
            mn[:, j] = s[:, j + 4] & 63
        else:
            sc[:, j] = (s[:, j + 4] & 0x0F) | ((s[:, j - 4] >> 6) << 4)
            mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, mn


def _dequantize_q4_k(blocks):
    d = _half(blocks[:, 0:2]).reshape(-1, 1)
    dmin = _half(blocks[:, 2:4]).reshape(-1, 1)
    sc, mn = _q4_k_scales(blocks[:, 4:16])
    qs = blocks[:, 16:144]
    out = np.zeros((blocks.shape[0], 256))
    for chunk in range(4):  # 64 values per 32 bytes: low nibbles, then high nibbles
        q = qs[:, chunk * 32:(chunk + 1) * 32].astype(np.int64)
        lo, hi = 2 * chunk, 2 * chunk + 1
        out[:, chunk * 64:chunk * 64 + 32] = d * sc[:, lo:lo + 1] * (q & 0x0F) - dmin * mn[:, lo:lo + 1]
        out[:, chunk * 64 + 32:chunk * 64 + 64] = d * sc[:, hi:hi + 1] * (q >> 4) - dmin * mn[:, hi:hi + 1]
    return out.reshape(-1)


def _dequantize_q6_k(blocks):
    ql = blocks[:, 0:128].astype(np.int64)
    qh = blocks[:, 128:192].astype(np.int64)
    scales = blocks[:, 192:208].view(np.int8).astype(np.int64)
    d = _half(blocks[:, 208:210]).reshape(-1, 1)
    out = np.zeros((blocks.shape[0], 256))
    for half in range(2):  # 128 values from 64 ql bytes, 32 qh bytes and 8 scales
        l_ = ql[:, half * 64:(half + 1) * 64]
        h_ = qh[:, half * 32:(half + 1) * 32]
        s_ = scales[:, half * 8:(half + 1) * 8]
        q1 = ((l_[:, 0:32] & 0x0F) | (((h_ >> 0) & 3) << 4)) - 32
        q2 = ((l_[:, 32:64] & 0x0F) | (((h_ >> 2) & 3) << 4)) - 32
        q3 = ((l_[:, 0:32] >> 4) | (((h_ >> 4) & 3) << 4)) - 32
        q4 = ((l_[:, 32:64] >> 4) | (((h_ >> 6) & 3) << 4)) - 32
        base = half * 128
        for k, q in enumerate((q1, q2, q3, q4)):
            # element l of quarter k uses scale index l // 16 + 2 * k
            sc = np.repeat(s_[:, 2 * k:2 * k + 2], 16, axis=1)
            out[:, base + 32 * k:base + 32 * (k + 1)] = d * sc * q
    return out.reshape(-1)
