"""The embedded broker: messages are handed over whole and taken once, across processes."""

import multiprocessing
from pathlib import Path
from queue import Empty

from kombu import Connection

from portal.filesystem_broker import write_whole

TRANSPORT = "portal.filesystem_broker:Transport"


def connect(root: Path) -> Connection:
    queue = root / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(root / "control"),
        "processed_folder": str(root / "processed"),
        "store_processed": False,
    }
    return Connection("filesystem://", transport=TRANSPORT, transport_options=options)


def produce(root: str, first: int, count: int) -> None:
    with connect(Path(root)) as connection:
        queue = connection.SimpleQueue("work")
        for number in range(first, first + count):
            # Large enough that writing it is not one instant.
            queue.put({"n": number, "padding": "x" * 20_000})
        queue.close()


def consume(root: str, results, stop_after: int) -> None:
    seen = []
    with connect(Path(root)) as connection:
        queue = connection.SimpleQueue("work")
        idle = 0
        while idle < 40 and len(seen) < stop_after:
            try:
                message = queue.get(timeout=0.05)
            except Empty:
                idle += 1
                continue
            idle = 0
            seen.append(message.payload["n"])
            message.ack()
        queue.close()
    results.put(seen)


def test_messages_written_and_read_by_several_processes_arrive_whole_and_once(tmp_path):
    """Two writers and three readers at once on one folder: with kombu's own transport a
    reader could take a file before its writer had written it (JSONDecodeError, fatal)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    total = 400
    readers = [
        context.Process(target=consume, args=(str(tmp_path), results, total)) for _ in range(3)
    ]
    writers = [
        context.Process(target=produce, args=(str(tmp_path), first, total // 2))
        for first in (0, total // 2)
    ]
    for process in readers + writers:
        process.start()
    for process in writers:
        process.join(60)
    received = [number for _ in readers for number in results.get(timeout=60)]
    for process in readers:
        process.join(10)

    assert all(process.exitcode == 0 for process in readers + writers)
    assert sorted(received) == list(range(total))
    assert not list((tmp_path / "claimed").iterdir())


def test_an_unreadable_message_file_is_set_aside_and_the_next_one_is_read(tmp_path, caplog):
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("work")
        queue.put({"n": 2})
        # What kombu's own transport could leave: a message file created, never written.
        # Named to sort first (names start with the time in ms), so it is read first.
        (tmp_path / "queue" / "0_half-written.work.msg").write_bytes(b"")

        message = queue.get(timeout=2)
        message.ack()
        queue.close()

    assert message.payload == {"n": 2}
    assert [path.name for path in (tmp_path / "damaged").iterdir()] == ["0_half-written.work.msg"]
    assert "set aside an unreadable message file" in caplog.text


def test_an_existing_file_is_kept_when_only_creating(tmp_path):
    table = tmp_path / "celery.exchange"
    assert write_whole(table, b"[1]", tmp_path / "staging", replace=False)
    assert not write_whole(table, b"[]", tmp_path / "staging", replace=False)

    assert table.read_bytes() == b"[1]"
    assert not list((tmp_path / "staging").iterdir())

