"""Promotion under faults: a flaky or dying registry, concurrent promotions, a folder that turns
unwritable, a full disk.

The registry faults come from a proxy on 127.0.0.1 in front of moto's server (tests/ops/
fault_proxy.py); the clients use botocore's standard retries like the CLI, with fewer attempts
to keep the suite quick. After each fault: the catalog file is wholly old or wholly new (byte
for byte), no temporary or lock file is left, the registry agrees with the catalog (the pinned
version carries the id of the catalog's last history entry for that environment), the message
says what happened, and running the same promotion again succeeds.
"""

import errno
import os
import socket
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from typer.testing import CliRunner

from mlops.cli.delivery import app
from mlops.delivery import DeliveryError, Problem, promote, registry_clients
from mlops.delivery.catalog_edit import CatalogFile, _yaml
from mlops.delivery.lock import lock_path, model_lock
from mlops.delivery.pinning import pending_path

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
UPDATE = "SageMaker.UpdateModelPackage"
LIST = "SageMaker.ListModelPackages"
DESCRIBE_GROUP = "SageMaker.DescribeModelPackageGroup"


@pytest.fixture
def proxy(aws):
    """The fault proxy in front of this session's moto server."""
    faulty = FaultProxy(aws)
    faulty.start()
    yield faulty
    faulty.kill()


@pytest.fixture
def versions(pipeline) -> list[str]:
    """mlops-churn versions 1-5 (auc 0.80 ... 0.93); 3 is Approved and pinned in test and prod.
    The values are in the metadata too, so an undo can restore it exactly."""
    return pipeline.register_all("mlops-churn", "auc", [0.80, 0.85, 0.91, 0.92, 0.93], (3,), in_metadata=True)


def promote_churn(clients, catalog_dir: Path, version: int = 4, **extra):
    return promote(
        clients, catalog_dir, "churn", group="mlops-churn", to_env="test", version=version,
        by="dana.reviewer", reason="AUC 0.92 on the April holdout", now=NOW, **extra,
    )


def snapshot(catalog_dir: Path) -> dict[str, bytes]:
    return {path.relative_to(catalog_dir).as_posix(): path.read_bytes() for path in sorted(catalog_dir.rglob("*")) if path.is_file()}


def assert_wholly_old_or_new(catalog_dir: Path, before: dict[str, bytes], noted: bool = False) -> str:
    """The folder holds the same files as before (no temporary or lock file; the note of a
    record to settle if `noted`) and churn.yaml is either the old bytes or exactly the old file
    with one promotion applied; which one."""
    after = snapshot(catalog_dir)
    assert sorted(after) == sorted([*before, *([".churn.yaml.pending"] if noted else [])])
    after.pop(".churn.yaml.pending", None)
    assert {name: data for name, data in after.items() if name != "churn.yaml"} == {
        name: data for name, data in before.items() if name != "churn.yaml"
    }
    if after["churn.yaml"] == before["churn.yaml"]:
        return "old"
    new = CatalogFile.load(catalog_dir, "churn")
    old = CatalogFile(new.path, "churn", before["churn.yaml"], _yaml().load(before["churn.yaml"].decode()))
    assert len(new.history) == len(old.history) + 1
    old.pin(new.history[-1], phase=new.phase)
    assert old.render().encode() == after["churn.yaml"]
    return "new"


def assert_registry_agrees(catalog_dir: Path, pipeline) -> None:
    """Each environment's pinned version carries the id of its last recorded pin."""
    catalog = CatalogFile.load(catalog_dir, "churn")
    for env in ("test", "prod"):
        recorded = [entry for entry in catalog.history if entry.environment == env and entry.id]
        if recorded:
            assert recorded[-1].version == catalog.versions[env]
            metadata = pipeline.describe(catalog.versions[env])["CustomerMetadataProperties"]
            assert metadata[f"promoted.{env}.id"] == recorded[-1].id


def recorded_id(pipeline, arn: str) -> str | None:
    return pipeline.describe(arn).get("CustomerMetadataProperties", {}).get("promoted.test.id")


# (fault plan, what the first promotion does)
SCENARIOS = {
    "throttled twice, then answered": ([(DESCRIBE_GROUP, "throttle", 1), (UPDATE, "throttle", 2)], "done"),
    "5xx before the update, past the retries": ([(UPDATE, "unavailable", 3)], "not recorded"),
    "5xx after the update was applied, past the retries": ([(UPDATE, "error_after", 3)], "done"),
    "answer dropped after the update was applied, once": ([(UPDATE, "drop_after", 1)], "done"),
    "answer dropped after the update was applied, past the retries": ([(UPDATE, "drop_after", 3)], "done"),
    "server gone before anything was written": ([(LIST, "kill_after", 1)], "unreachable"),
    "server gone right after applying the update": ([(UPDATE, "kill_after", 1)], "maybe recorded"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_registry_faults_leave_a_true_message_and_a_consistent_state(
    scenario, proxy, catalog_dir, pipeline, versions
):
    faults, expected = SCENARIOS[scenario]
    for operation, kind, times in faults:
        proxy.plan(operation, kind, times)
    before = snapshot(catalog_dir)
    clients = registry_clients(endpoint_url=proxy.endpoint, max_attempts=3)

    try:
        result = promote_churn(clients, catalog_dir, promotion_id="00000000000000aa")
        outcome, message = "done", ""
    except DeliveryError as error:
        assert error.problem is Problem.UNAVAILABLE
        outcome, message = "failed", error.message

    assert sum(proxy.injected.values()) == sum(times for _, _, times in faults)
    state = assert_wholly_old_or_new(catalog_dir, before, noted=expected == "maybe recorded")
    if expected == "done":
        assert (outcome, state, result.pin_id) == ("done", "new", "00000000000000aa")
        assert_registry_agrees(catalog_dir, pipeline)
        return
    assert (outcome, state) == ("failed", "old")
    if expected == "not recorded":
        assert message.endswith("; re-read: the registry does not record it; "
                                f"{catalog_dir / 'churn.yaml'} is unchanged")
        assert recorded_id(pipeline, versions[3]) is None
    elif expected == "unreachable":
        assert message.startswith(f"cannot reach the model registry at {proxy.endpoint}")
        assert recorded_id(pipeline, versions[3]) is None
    else:  # the registry applied the update, and the message says it may have
        assert message.endswith(
            "; the registry could not be re-read, so it may or may not record promoted.test.id="
            f"00000000000000aa on version 4 of mlops-churn; {catalog_dir / 'churn.yaml'} is unchanged; "
            f"noted in {pending_path(catalog_dir / 'churn.yaml')}: the next promote or rollback of churn "
            "settles it, run it again"
        )
        assert recorded_id(pipeline, versions[3]) == "00000000000000aa"

    proxy.faults.clear()
    proxy.start()  # the server is back, if it was gone
    again = promote_churn(clients, catalog_dir)
    assert again.changed and again.version.number == 4
    assert assert_wholly_old_or_new(catalog_dir, before) == "new"
    assert_registry_agrees(catalog_dir, pipeline)


def test_a_record_left_by_a_killed_promotion_is_settled_by_the_next_one(
    proxy, catalog_dir, pipeline, versions
):
    proxy.plan(UPDATE, "kill_after", 1)
    with pytest.raises(DeliveryError):
        promote_churn(registry_clients(endpoint_url=proxy.endpoint, max_attempts=2), catalog_dir)
    assert recorded_id(pipeline, versions[3]) is not None  # applied before the server went away

    proxy.start()
    other = promote_churn(registry_clients(endpoint_url=proxy.endpoint), catalog_dir, version=5)

    assert other.version.number == 5
    assert pipeline.describe(versions[3])["CustomerMetadataProperties"] == {"metric.auc": "0.92"}
    assert not pending_path(catalog_dir / "churn.yaml").exists()
    assert_registry_agrees(catalog_dir, pipeline)


def test_the_cli_reports_a_promotion_whose_answer_was_lost_once_as_done(
    proxy, project, catalog_dir, versions, pipeline, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    proxy.plan(UPDATE, "drop_after", 1)

    result = CliRunner().invoke(app, [
        "promote", "churn", "--to", "test", "--version", "4", "--by", "dana", "--reason", "AUC 0.92",
        "--project-dir", str(project),
    ])

    assert result.exit_code == 0, result.output
    assert "Promoted version 4 of mlops-churn to test." in result.stdout
    assert proxy.seen[UPDATE] == 2  # the lost answer, then the retry
    assert_registry_agrees(catalog_dir, pipeline)


def test_concurrent_promotions_run_one_after_the_other(catalog_dir, pipeline, versions):
    start = threading.Barrier(3)
    outcomes: dict[str, object] = {}

    def run(name: str, version: int) -> None:
        clients = registry_clients()
        start.wait()
        try:
            outcomes[name] = promote_churn(clients, catalog_dir, version)
        except DeliveryError as error:
            outcomes[name] = error

    threads = [threading.Thread(target=run, args=args) for args in (("a4", 4), ("b4", 4), ("c5", 5))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    catalog = CatalogFile.load(catalog_dir, "churn")
    changed = [name for name, outcome in outcomes.items() if getattr(outcome, "changed", False)]
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, DeliveryError)]
    # Serialized: version 5 is pinned last whatever the order (4 cannot follow 5, its AUC is lower).
    assert catalog.versions["test"] == versions[4]
    assert "c5" in changed and len([n for n in changed if n.endswith("4")]) <= 1
    for name in refused:
        assert outcomes[name].problem is Problem.REFUSED
        assert "challenger version 4 has auc 0.92, champion version 5 has 0.93" in outcomes[name].message
    assert {entry.id: entry.version for entry in catalog.history[2:]} == {
        outcomes[name].pin_id: outcomes[name].version.arn for name in changed
    }
    assert_registry_agrees(catalog_dir, pipeline)
    if any(name.endswith("4") for name in changed):  # the winner's record survived the others
        assert recorded_id(pipeline, versions[3]) == next(outcomes[n].pin_id for n in changed if n.endswith("4"))
    assert not lock_path(catalog_dir / "churn.yaml").exists()


def test_an_undo_leaves_a_record_another_promotion_wrote(catalog_dir, pipeline, versions):
    own = registry_clients()
    path = catalog_dir / "churn.yaml"
    sagemaker, _ = pipeline.sagemaker, pipeline.s3

    def colleague_overtakes(**_):
        # Someone promotes the same version by hand in between: a new record and a file edit.
        described = sagemaker.describe_model_package(ModelPackageName=versions[3])
        metadata = {**described["CustomerMetadataProperties"], "promoted.test.id": "00000000000000ff"}
        sagemaker.update_model_package(
            ModelPackageArn=versions[3], ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataProperties=metadata,
        )
        path.write_text(path.read_text() + "# edited by a colleague\n")

    own.sagemaker.meta.events.register("after-call.sagemaker.UpdateModelPackage", colleague_overtakes)
    with pytest.raises(DeliveryError) as caught:
        promote_churn(own, catalog_dir, promotion_id="00000000000000aa")

    assert caught.value.message.startswith(f"{path} changed on disk while this ran; it was not written")
    assert (
        "the registry record on version 4 of mlops-churn is not this run's "
        "(promoted.test.id is 00000000000000ff, this run's was 00000000000000aa): left as it is"
    ) in caught.value.message
    assert recorded_id(pipeline, versions[3]) == "00000000000000ff"


def test_a_lock_left_by_a_dead_process_is_taken_over(catalog_dir, pipeline, versions):
    finished = subprocess.run(["python3", "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = lock_path(catalog_dir / "churn.yaml")
    lock.write_text(
        f'{{"host": "{socket.gethostname()}", "operation": "promote churn to test", "pid": '
        f'{finished.stdout.strip()}, "started": "2026-11-20T09:00:00Z", "token": "dead"}}'
    )

    assert promote_churn(registry_clients(), catalog_dir).changed
    assert not lock.exists()
    assert_registry_agrees(catalog_dir, pipeline)


def test_a_lock_held_on_another_host_is_reported_and_not_broken(catalog_dir, pipeline, versions):
    lock = lock_path(catalog_dir / "churn.yaml")
    lock.write_text(
        '{"host": "build-7", "operation": "promote churn to prod", "pid": 4242, '
        '"started": "2026-11-20T09:00:00Z", "token": "abc"}'
    )
    before = (catalog_dir / "churn.yaml").read_bytes()

    with pytest.raises(DeliveryError) as caught:
        promote_churn(registry_clients(), catalog_dir, lock_wait=0.2)

    assert caught.value.problem is Problem.UNAVAILABLE
    assert caught.value.message == (
        "churn is locked by promote churn to prod (pid 4242 on build-7 since 2026-11-20T09:00:00Z) "
        f"after waiting 0.2s; retry when it is done, or delete {lock} if no such operation is running"
    )
    assert (catalog_dir / "churn.yaml").read_bytes() == before
    assert recorded_id(pipeline, versions[3]) is None
    lock.unlink()
    assert promote_churn(registry_clients(), catalog_dir).changed


def test_a_promotion_waits_for_the_lock_holder(catalog_dir, pipeline, versions):
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with model_lock(catalog_dir / "churn.yaml", "roll back churn in test"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    result = promote_churn(registry_clients(), catalog_dir, lock_wait=5)
    thread.join()

    assert result.changed
    assert_registry_agrees(catalog_dir, pipeline)


@pytest.fixture
def unwritable(catalog_dir):
    """Call it to make the catalog folder refuse creating, replacing and deleting files, as a
    folder whose write permission was removed does (patched at the os calls: the suite may run
    as root, for whom permission bits do not bind)."""
    folder = catalog_dir.resolve()
    real = {name: getattr(os, name) for name in ("open", "replace", "rename", "unlink")}

    def inside(path) -> bool:
        return Path(os.fsdecode(path)).resolve().parent == folder

    def refuse(name, creating=lambda *args: True):
        def call(path, *args, **kwargs):
            if inside(path) and creating(*args):
                raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
            return real[name](path, *args, **kwargs)
        return call

    patch = pytest.MonkeyPatch()

    def turn() -> None:
        patch.setattr(os, "open", refuse("open", lambda flags, *_: bool(flags & os.O_CREAT)))
        for name in ("replace", "rename", "unlink"):
            patch.setattr(os, name, refuse(name))

    turn.undo = patch.undo
    yield turn
    patch.undo()


def test_a_folder_turning_unwritable_mid_way_is_reported_first_and_undone(
    catalog_dir, pipeline, versions, unwritable
):
    own = registry_clients()
    own.sagemaker.meta.events.register("after-call.sagemaker.UpdateModelPackage", lambda **_: unwritable())
    before = snapshot(catalog_dir)

    with pytest.raises(DeliveryError) as caught:
        promote_churn(own, catalog_dir)

    message = caught.value.message
    assert message.startswith(f"{catalog_dir / 'churn.yaml'}: could not be written: [Errno 13] Permission denied")
    assert "; the registry record on version 4 of mlops-churn was undone, nothing changed; " in message
    assert "is left behind (Permission denied): delete it" in message
    assert recorded_id(pipeline, versions[3]) is None
    assert (catalog_dir / "churn.yaml").read_bytes() == before["churn.yaml"]

    unwritable.undo()  # writable again: the retry removes what the failed run left
    assert promote_churn(registry_clients(), catalog_dir).changed
    assert assert_wholly_old_or_new(catalog_dir, before) == "new"
    assert_registry_agrees(catalog_dir, pipeline)


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (".tmp", "churn.yaml: cannot write beside it: [Errno 28] No space left on device; nothing changed"),
        (".lock", "cannot create the lock file"),
    ],
)
def test_a_full_disk_changes_nothing_and_a_retry_succeeds(
    catalog_dir, pipeline, versions, suffix, expected
):
    folder = catalog_dir.resolve()
    real_write = os.write

    def disk_full(fd, data):
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if target.parent == folder and target.name.endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    before = snapshot(catalog_dir)
    with pytest.MonkeyPatch.context() as patch, pytest.raises(DeliveryError) as caught:
        patch.setattr(os, "write", disk_full)
        promote_churn(registry_clients(), catalog_dir)

    assert caught.value.problem is Problem.UNAVAILABLE
    assert expected in caught.value.message and "No space left on device" in caught.value.message
    assert assert_wholly_old_or_new(catalog_dir, before) == "old"
    assert recorded_id(pipeline, versions[3]) is None
    assert promote_churn(registry_clients(), catalog_dir).changed
    assert_registry_agrees(catalog_dir, pipeline)
