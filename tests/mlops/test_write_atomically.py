"""``--out`` files are written whole through a rename, except targets that are not regular files."""

from __future__ import annotations

import os
import stat
import threading

from mlops.cli.common import write_atomically


def test_a_regular_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("old", encoding="utf-8")

    write_atomically(target, '{"new": true}\n')

    assert target.read_text(encoding="utf-8") == '{"new": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_pipe_is_written_in_place_not_replaced_by_a_file(tmp_path):
    # /dev/null, /dev/stdout and pipes must stay what they are: a rename would put a file there.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()

    write_atomically(fifo, "streamed\n")
    reader.join(timeout=10)

    assert received == ["streamed\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
