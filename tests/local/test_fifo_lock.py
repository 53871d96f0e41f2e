"""The lock moto's DynamoDB requests queue for: granted in the order asked for, one at a time."""

from __future__ import annotations

import threading
import time

import pytest

from alexho_invoice_local.aws.fifo_lock import FifoLock


def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiting_threads_get_the_lock_in_the_order_they_asked() -> None:
    # GIVEN a held lock, and ten threads that ask for it one after the other
    lock, order = FifoLock(), []

    def take(n: int) -> None:
        with lock:
            order.append(n)

    lock.acquire()
    threads = []
    for n in range(10):
        thread = threading.Thread(target=take, args=(n,))
        thread.start()
        wait_until(lambda count=n + 1: lock.waiting == count)
        threads.append(thread)

    # WHEN the holder releases it, while another thread asks for it again and again
    def barge() -> None:
        for _ in range(50):
            take(-1)

    barging = threading.Thread(target=barge)
    lock.release()
    barging.start()
    for thread in [*threads, barging]:
        thread.join(5)
    # THEN the waiters had it in their order, each before any later request
    assert order[: order.index(9) + 1] == [n for n in order if n >= 0] == list(range(10))
    assert not lock.locked()
    assert lock.waiting == 0


def test_one_thread_at_a_time_holds_it() -> None:
    # GIVEN eight threads that each take the lock 200 times and note who is inside
    lock, inside, most = FifoLock(), [0], [0]

    def work() -> None:
        for _ in range(200):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # THEN never two at once, and it is free at the end
    assert most[0] == 1
    assert not lock.locked()


def test_releasing_a_free_lock_is_an_error() -> None:
    lock = FifoLock()
    with pytest.raises(RuntimeError, match="unlocked"):
        lock.release()
