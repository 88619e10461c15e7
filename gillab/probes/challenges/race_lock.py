"""Chapter 01's challenge: stop the race with a lock.

The learner writes ``count_safely(counter, lock, n_threads, increments)``: start ``n_threads``
threads, each adding one to ``counter.value`` ``increments`` times while holding ``lock`` around
each read-modify-write, and return once every thread has finished.

The check calls it several times (:data:`TRIALS`, with different thread and increment counts) with a
:class:`~gillab.probes.shared_counter.SharedCounter`, slow to read so that an unprotected update is
overwritten on every machine, and a :class:`~gillab.probes.shared_counter.WatchedLock`. From their
record it says whether the threads ran at the same time (the lock's rendezvous, or the threads
alive together), whether each read and its write happened inside the lock without another thread
touching the counter in between, and how many updates were lost. It never times anything. Handing
the work to :func:`gillab.experiments.race.count_with_threads` does not count.

>>> import threading
>>> def count_safely(counter, lock, n_threads, increments):
...     def work():
...         for _ in range(increments):
...             with lock:
...                 counter.value += 1
...     threads = [threading.Thread(target=work) for _ in range(n_threads)]
...     for thread in threads:
...         thread.start()
...     for thread in threads:
...         thread.join()
>>> CHALLENGE.verdict({"count_safely": count_safely}).status
'passed'
"""

from __future__ import annotations

import threading

from ...experiments import race
from ..shared_counter import SharedCounter, WatchedLock
from ..tripwire import forbid_calls
from .judging import Challenge, Verdict, call_answer, not_yet, passed

__all__ = ["CHALLENGE", "check", "TRIALS"]

#: (threads, increments) of each call: different counts catch an answer that ignores its arguments.
TRIALS = ((4, 20), (3, 15), (4, 20), (2, 25), (4, 20))
_START_TOGETHER = "start every thread before you join any (one loop of start(), then one loop of join())"


def _judge(namespace: dict) -> Verdict:
    count_safely = namespace["count_safely"]
    caller = threading.get_native_id()
    updates_done = 0
    with forbid_calls(namespace, race.count_with_threads) as tripwire:
        for trial, (n_threads, increments) in enumerate(TRIALS, start=1):
            lock = WatchedLock(gather=n_threads)
            counter = SharedCounter(lock)
            call = f"count_safely(counter, lock, {n_threads}, {increments})"
            before = set(threading.enumerate())
            call_answer(call, count_safely, counter, lock, n_threads, increments)
            # threads the call started and left running: without a GIL they may not have touched
            # the counter yet when it returns, so they are counted here, not from the counter
            # (daemon threads a library starts meanwhile are not the learner's, unless they counted)
            left_running = [thread for thread in threading.enumerate() if thread not in before
                            and (not thread.daemon or thread.native_id in counter.threads())]
            if any(tripwire.counts.values()):
                return not_yet(
                    f"{call} handed its work to gillab.experiments.race.count_with_threads, which counts on a "
                    "counter of its own",
                    "write the threads yourself: each adds one to the counter it is given, "
                    "holding the lock it is given",
                )
            problem = _problem(call, counter, lock, n_threads, increments, caller, left_running)
            if problem is not None:
                return problem if trial == 1 else not_yet(
                    problem.happened, problem.change, f"(trial {trial} of {len(TRIALS)}: {call})", *problem.facts
                )
            updates_done += n_threads * increments
    return passed(
        f"in {len(TRIALS)} calls your threads ran at the same time and made {updates_done} updates without losing "
        "one: every read of counter.value and its write happened inside the lock, with no other thread in between",
        "Without the lock the same threads overwrite each other's updates (the chapter's first race); with it they "
        "queue for it, one read-modify-write at a time.",
    )


def _problem(call, counter, lock, n_threads, increments, caller, left_running=()) -> Verdict | None:
    """What is wrong with one call's record (``left_running``: threads the call started that were
    still alive when it returned), or None."""
    touches = counter.touches()
    expected = n_threads * increments
    if left_running:
        return not_yet(
            f"{call} returned while {len(left_running)} of its threads were still updating the counter",
            "join every thread before count_safely returns",
        )
    if not touches:
        return not_yet(
            f"{call} never read or wrote counter.value (it is {counter.final})",
            f"in each of the {n_threads} threads, add one to counter.value {increments} times: counter.value += 1",
        )
    own = [touch for touch in touches if touch.thread == caller]
    if own:
        return not_yet(
            f"{len(own)} of the {len(touches)} reads and writes of counter.value ran on the notebook's own thread",
            f"start {n_threads} threads (threading.Thread(target=...)) and let THEM update the counter; "
            "count_safely only starts and joins them",
        )
    alive = [thread.native_id for thread in threading.enumerate() if thread.native_id in set(counter.threads())]
    if alive:
        return not_yet(
            f"{call} returned while {len(alive)} of its threads were still updating the counter",
            "join every thread before count_safely returns",
        )
    threads = counter.threads()
    if len(threads) != n_threads:
        return not_yet(
            f"{len(threads)} thread(s) updated the counter in {call}, not {n_threads}",
            f"start exactly n_threads threads ({n_threads} here), each doing its own increments updates",
        )
    if not lock.met and counter.most_alive_at_once() < n_threads:
        return not_yet(
            f"your {_count(n_threads)} threads ran one after another: each one had finished before the next one "
            "started, so nothing could race (and nothing ran at the same time)",
            _START_TOGETHER,
        )
    writes = sum(touch.kind == "write" for touch in touches)
    if writes != expected:
        return not_yet(
            f"counter.value was written {writes} times in {call}, not {n_threads} x {increments} = {expected}",
            "let each thread add one to counter.value exactly increments times",
        )
    return _lock_problem(counter, lock, expected)


def _lock_problem(counter, lock, expected) -> Verdict | None:
    updates = counter.updates()
    lost = expected - counter.final
    overlapped = sum(update.interleaved for update in updates)
    outcome = f"{lost} of {expected} updates were lost" if lost > 0 else "no update happened to be lost this time"
    whole = "hold the lock around the whole read-modify-write: `with lock:` and, inside it, `counter.value += 1`"
    if lock.acquires == 0:
        if overlapped == 0 and lost == 0:
            return None  # a lock of their own, held correctly: the record shows no update interleaved
        return not_yet(
            f"none of the updates held `lock` (the lock count_safely is given): another thread touched the counter "
            f"between a read and its write {overlapped} times, and {outcome}",
            whole,
        )
    unsafe = [update for update in updates if not update.held_throughout]
    if not unsafe:
        return None if lost == 0 else not_yet(
            f"{outcome}, although every read and its write held the lock", "do not change counter.value elsewhere"
        )
    reads_outside = sum(not update.held_at_read for update in unsafe)
    writes_outside = sum(not update.held_at_write for update in unsafe)
    if reads_outside and not writes_outside:
        where = "your lock was held around the write but not around the read"
    elif writes_outside and not reads_outside:
        where = "your lock was held around the read but not around the write"
    elif not reads_outside and not writes_outside:
        where = "your threads let go of the lock between reading counter.value and writing it back"
    else:
        where = f"{len(unsafe)} of the {len(updates)} updates were not inside the lock"
    return not_yet(
        f"{where}: another thread touched the counter between a read and its write {overlapped} times, and {outcome}",
        whole,
    )


def _count(number: int) -> str:
    return {2: "two", 3: "three", 4: "four"}.get(number, str(number))


CHALLENGE = Challenge("01", "stop the race with a lock", ("count_safely",), _judge)


def check(namespace: dict) -> None:
    """The check cell: ``race_lock.check(globals())`` prints the verdict on ``count_safely``."""
    CHALLENGE.check(namespace)
