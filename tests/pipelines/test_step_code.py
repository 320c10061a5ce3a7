"""The step code objects: what is uploaded, under which content-addressed keys."""

import gzip
import hashlib
import io
import re
import tarfile
from pathlib import Path

from pipelines.definition import CODE_NAMES, StepCode, source_bundle, step_code

STEPS_DIR = Path(__file__).resolve().parents[2] / "pipelines" / "steps"


def test_key_is_addressed_by_content():
    original = StepCode.of("preprocess", "preprocess.py", b"print('v1')\n")
    same = StepCode.of("preprocess", "preprocess.py", b"print('v1')\n")
    changed = StepCode.of("preprocess", "preprocess.py", b"print('v2')\n")

    assert same.key == original.key
    assert changed.key != original.key
    assert original.sha256 == hashlib.sha256(b"print('v1')\n").hexdigest()
    assert original.key == f"pipelines/code/{original.sha256[:16]}/preprocess.py"


def test_step_code_ships_the_scripts_as_they_are_on_disk():
    codes = {code.name: code for code in step_code()}

    assert tuple(codes) == CODE_NAMES
    scripts = {"preprocess": "preprocess.py", "evaluate": "evaluate.py", "step-contract": "step_contract.py"}
    for name, filename in scripts.items():
        assert codes[name].filename == filename
        assert codes[name].content == (STEPS_DIR / filename).read_bytes()
    for code in codes.values():
        assert code.sha256 == hashlib.sha256(code.content).hexdigest()
        assert re.fullmatch(rf"pipelines/code/{code.sha256[:16]}/{re.escape(code.filename)}", code.key)


def test_training_bundle_holds_the_entry_point_and_the_shared_module():
    bundle = {code.name: code for code in step_code()}["train"]

    assert bundle.filename == "sourcedir.tar.gz"
    # The training toolkit opens the bundle with tarfile mode "r:gz".
    with tarfile.open(fileobj=io.BytesIO(bundle.content), mode="r:gz") as archive:
        members = {member.name: archive.extractfile(member).read() for member in archive.getmembers()}
    assert members == {
        "step_contract.py": (STEPS_DIR / "step_contract.py").read_bytes(),
        "train.py": (STEPS_DIR / "train.py").read_bytes(),
    }
    assert step_code() == step_code()


def test_bundle_bytes_depend_only_on_file_names_and_contents():
    files = {"train.py": b"print('train')\n", "step_contract.py": b"X = 1\n"}

    assert source_bundle(files) == source_bundle(dict(reversed(list(files.items()))))
    assert source_bundle(files) != source_bundle({**files, "step_contract.py": b"X = 2\n"})


def test_bundle_of_large_files_is_valid_gzip():
    # Larger than one 64 KiB stored deflate block.
    big = bytes(range(256)) * 1024

    bundle = source_bundle({"train.py": big})

    assert gzip.decompress(bundle)[512 : 512 + len(big)] == big
    with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:gz") as archive:
        assert archive.extractfile("train.py").read() == big
