"""The step code objects a pipeline definition refers to, addressed by content."""

from __future__ import annotations

import hashlib
import io
import struct
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipelines.definition.spec import (
    BYO_CONTRACT_CODE,
    EVALUATE_CODE,
    MODEL_CODE,
    PREPROCESS_CODE,
    STEP_CONTRACT_CODE,
    TRAIN_CODE,
)

STEPS_DIR = Path(__file__).resolve().parent.parent / "steps"
CODE_KEY_PREFIX = "pipelines/code"


@dataclass(frozen=True)
class StepCode:
    """One object of step code to upload before the pipeline runs.

    Attributes:
        name: The ``PipelineSpec.code_uris`` key it is passed back under.
        filename: The object's file name (the last part of ``key``).
        content: The bytes to upload.
        sha256: Hex SHA-256 of ``content``.
        key: Content-addressed object key, ``pipelines/code/<sha256[:16]>/<filename>``: new
            content gets a new key, so a running pipeline never sees its code change underneath.
    """

    name: str
    filename: str
    content: bytes = field(repr=False)
    sha256: str
    key: str

    @classmethod
    def of(cls, name: str, filename: str, content: bytes) -> StepCode:
        """Address ``content`` by its hash."""
        digest = hashlib.sha256(content).hexdigest()
        return cls(name, filename, content, digest, f"{CODE_KEY_PREFIX}/{digest[:16]}/{filename}")


@cache
def step_code() -> tuple[StepCode, ...]:
    """The step code objects the pipeline definition refers to, in a fixed order."""

    def read(filename: str) -> bytes:
        return (STEPS_DIR / filename).read_bytes()

    return (
        StepCode.of(PREPROCESS_CODE, "preprocess.py", read("preprocess.py")),
        StepCode.of(
            TRAIN_CODE,
            "sourcedir.tar.gz",
            source_bundle({"train.py": read("train.py"), "step_contract.py": read("step_contract.py")}),
        ),
        StepCode.of(EVALUATE_CODE, "evaluate.py", read("evaluate.py")),
        StepCode.of(STEP_CONTRACT_CODE, "step_contract.py", read("step_contract.py")),
    )


def custom_step_code(model_files: Mapping[str, bytes] | None) -> tuple[StepCode, ...]:
    """The extra objects of a model with its own code (``model_files``, by relative path) or
    image (``None``): the contract check and, for code, the model's bundle."""
    contract = StepCode.of(BYO_CONTRACT_CODE, "byo_contract.py", (STEPS_DIR / "byo_contract.py").read_bytes())
    if model_files is None:
        return (contract,)
    return (contract, StepCode.of(MODEL_CODE, "sourcedir.tar.gz", source_bundle(model_files)))


def source_bundle(files: Mapping[str, bytes]) -> bytes:
    """A ``.tar.gz`` of ``files`` whose bytes depend only on their names and contents.

    Entries are sorted and carry no time, owner or host details. The gzip layer stores the tar
    uncompressed: zlib builds (system zlib, zlib-ng) compress the same input to different bytes,
    which would change the content-addressed key from one machine to the next.
    """
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    return _gzip_stored(archive.getvalue())


def code_files(folder: Path) -> dict[str, bytes]:
    """The files of a model's code folder by relative path (caches left out)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def _gzip_stored(data: bytes) -> bytes:
    """Gzip (RFC 1952) with deflate "stored" blocks (RFC 1951 BTYPE=00): no compression, fixed bytes."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # magic, deflate, no flags, mtime 0, unknown OS
    blocks = [data[start : start + 0xFFFF] for start in range(0, len(data), 0xFFFF)] or [b""]
    body = b"".join(
        struct.pack("<BHH", index == len(blocks) - 1, len(block), len(block) ^ 0xFFFF) + block
        for index, block in enumerate(blocks)
    )
    return header + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def baseline_prefix(artifacts_bucket: str, model_name: str) -> str:
    """The fixed S3 prefix where the pipeline writes the data-quality baseline of a model.

    The Model Monitor analyzer writes ``statistics.json`` and ``constraints.json`` here each time a
    model passes the quality gate; the endpoint's monitoring schedule reads them from here.
    """
    return f"s3://{artifacts_bucket}/models/{model_name}/monitoring/baseline/"


def drift_baseline_prefix(artifacts_bucket: str, model_name: str) -> str:
    """The S3 prefix under which each training run writes its drift baseline, one folder per run.

    A run's ``baseline.json`` lands in ``<prefix>/<pipeline execution id>/``, and the version it
    registers records that URI in its CustomerMetadataProperties
    (``step_contract.BASELINE_URI_METADATA_KEY``): a later run never overwrites the baseline of
    a version an environment still serves.
    """
    return f"s3://{artifacts_bucket}/models/{model_name}/baselines"
