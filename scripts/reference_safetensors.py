"""Reads and writes safetensors files with numpy alone (Debian's python3 has no `safetensors` module), for the
float64 reference scripts (mlm-reference.py, seq2seq-references.py). Tensors are read as float64 leaves that
require grad, and written as float32."""
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}
MAX_FILE = 1 << 30


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        sys.exit(f"{path}: over {MAX_FILE} bytes, not a tiny test model")
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        arr = np.frombuffer(body[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.tensor(arr.astype(np.float64), requires_grad=True)
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))
