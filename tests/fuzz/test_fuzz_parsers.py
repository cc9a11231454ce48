"""Fuzz the IDX and CIFAR-10 readers on the bytes they parse.

Random bytes, valid headers with random dims and payloads, mutated (bit-flipped,
truncated, extended) files, gzipped or not; pickles of random dicts (right and wrong keys,
shapes, dtypes, label lists), other objects, truncated or corrupted pickles.  The only
allowed outcomes are a parsed result or :class:`DataError`; anything else (and a hang
past the time limit) fails, listing each distinct problem with an example.
"""

from __future__ import annotations

import gzip
import pickle
import tempfile
from pathlib import Path

import numpy as np
from fuzz.fuzz_judge import expect_data_error, report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + payload


@st.composite
def _idx_blob(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "header", "mutated"]))
    if kind == "random":
        return draw(st.binary(max_size=64))
    magic = draw(st.sampled_from([2051, 2049, 0x0803, 0x0801, 0x0800, 0x08FF, 0x0D03,
                                  0xFFFFFFFF]))
    ndim = magic & 0xFF
    dims = tuple(draw(st.lists(st.sampled_from([0, 1, 2, 28, 2**31, 2**32 - 1]),
                               min_size=min(ndim, 4), max_size=min(ndim, 4))))
    payload = draw(st.binary(max_size=64))
    blob = _idx_bytes(magic, dims, payload)
    if kind == "mutated" and blob:
        i = draw(st.integers(0, len(blob) - 1))
        cut = draw(st.sampled_from(["flip", "truncate", "append"]))
        if cut == "flip":
            blob = blob[:i] + bytes([blob[i] ^ 0xFF]) + blob[i + 1:]
        elif cut == "truncate":
            blob = blob[:i]
        else:
            blob = blob + draw(st.binary(min_size=1, max_size=8))
    return blob


def test_fuzz_idx_bytes(fuzz_stats):
    from linattn.data import idx

    fuzz_stats["functions"].update({"linattn.data.idx.read_images",
                                    "linattn.data.idx.read_labels",
                                    "linattn.data.idx.read_image_label_pair"})
    problems: dict[str, tuple[int, str]] = {}

    @settings(max_examples=2 * settings.default.max_examples, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(img=_idx_blob(), lab=_idx_blob(), gz=st.sampled_from(["", ".gz", ".gzraw"]))
    def run(img, lab, gz):
        with tempfile.TemporaryDirectory() as tmp:
            suffix = ".gz" if gz else ""
            pi, pl = Path(tmp) / f"img{suffix}", Path(tmp) / f"lab{suffix}"
            pi.write_bytes(gzip.compress(img, mtime=0) if gz == ".gz" else img)
            pl.write_bytes(gzip.compress(lab, mtime=0) if gz == ".gz" else lab)
            for fn, fargs in ((idx.read_images, (pi,)), (idx.read_labels, (pl,)),
                              (idx.read_image_label_pair, (pi, pl))):
                problem = expect_data_error(fn, *fargs)
                fuzz_stats["examples"] += 1
                if problem:
                    key = f"{fn.__name__}: {problem}"
                    c, e = problems.get(key, (0, f"img={img[:40]!r} lab={lab[:40]!r} {gz}"))
                    problems[key] = (c + 1, e)

    run()
    assert not problems, report("linattn.data.idx", problems)


@st.composite
def _cifar_blob(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "dict", "dict", "other"]))
    if kind == "random":
        return draw(st.binary(max_size=64))
    if kind == "other":
        return pickle.dumps(draw(st.sampled_from([[1, 2], None, "x", 3.5, (b"data",)])))
    d: dict = {}
    for key in draw(st.lists(st.sampled_from([b"data", b"labels", b"label_names", "data",
                                              "labels", b"other"]), max_size=4)):
        d[key] = draw(st.sampled_from([
            np.zeros((2, 3072), dtype=np.uint8), np.zeros((2, 3072), dtype=np.float64),
            np.zeros((2, 3071), dtype=np.uint8), np.zeros((0, 3072), dtype=np.uint8),
            np.zeros(3072, dtype=np.uint8), [0, 1], [0, 10], [-1, 1], [0.5, 1], [True, 0],
            [0], np.array([0, 1]), [b"a"] * 10, ["a"] * 9, [1] * 10, None, "s", 7,
        ]))
    blob = pickle.dumps(d, protocol=draw(st.integers(0, 5)))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(blob) - 1))
        blob = blob[:i] if draw(st.booleans()) else blob[:i] + bytes([blob[i] ^ 0x55]) + \
            blob[i + 1:]
    return blob


def test_fuzz_cifar_bytes(fuzz_stats):
    from linattn.data import cifar

    fuzz_stats["functions"].update({"linattn.data.cifar.read_batch",
                                    "linattn.data.cifar.read_meta",
                                    "linattn.data.cifar.read_split"})
    problems: dict[str, tuple[int, str]] = {}

    @settings(max_examples=2 * settings.default.max_examples, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(batch=_cifar_blob(), meta=_cifar_blob())
    def run(batch, meta):
        with tempfile.TemporaryDirectory() as tmp:
            pb, pm = Path(tmp) / "data_batch_1", Path(tmp) / "batches.meta"
            pb.write_bytes(batch)
            pm.write_bytes(meta)
            for fn, fargs in ((cifar.read_batch, (pb,)), (cifar.read_meta, (pm,)),
                              (cifar.read_split, ([pb], pm))):
                problem = expect_data_error(fn, *fargs)
                fuzz_stats["examples"] += 1
                if problem:
                    key = f"{fn.__name__}: {problem}"
                    c, e = problems.get(key, (0, f"batch={batch[:60]!r} meta={meta[:60]!r}"))
                    problems[key] = (c + 1, e)

    run()
    assert not problems, report("linattn.data.cifar", problems)

