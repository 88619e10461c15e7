"""Answers to the chapters' challenges, as a learner would type them into the answer cells: the worked
solution and typical wrong answers, each with the status its check must print and words its
verdict must contain (the specific message, not just "NOT YET").

``CASES[module]`` lists them for the challenge module ``gillab.probes.challenges.<module>``; each
source is the whole answer cell, and uses only what the chapter imported above it. Where a
verdict depends on the build, :func:`expected_words` adds the build's words.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = ["Case", "CASES", "SOLUTION", "expected_words", "expected_status"]


@dataclass(frozen=True)
class Case:
    """One answer: its ``name``, the answer cell's ``source``, the verdict's ``status`` word
    ("PASSED", "NOT YET", "Not attempted yet") and ``words`` the verdict must contain."""

    name: str
    source: str
    status: str
    words: tuple[str, ...]


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


SOLUTION = "solution"

_RACE_THREADS = """
    def count_safely(counter, lock, n_threads, increments):
        def work():
            for _ in range(increments):
                {update}

        threads = [threading.Thread(target=work) for _ in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
"""

_VIDEO_SUM = """
    def video_sum_on_threads():
        partial_sums = [0] * len(chunks)

        def sum_chunk(index, lo, hi):
            partial_sums[index] = count_sum(lo, hi)

        threads = [threading.Thread(target=sum_chunk, args=(i, lo, hi)) for i, (lo, hi) in enumerate(chunks)]
        {run}
        return sum(partial_sums)
"""
_START_THEN_JOIN = """for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()"""
_START_AND_JOIN = """for thread in threads:
            thread.start()
            thread.join()"""

_MY_WORK = """
    N = 300_000


    def my_work(lo, hi):
        total = 0
        for number in range(lo, hi):
            if number % 7 == 0:
                total += number * number
        return total


    my_prediction = {prediction}
    serial = time_call(my_work, 1, N + 1, repeats=3)
    on_threads = {threaded}
"""
_ON_TWO_THREADS = "time_call(run_threads, my_work, split_range(1, N + 1, 2), 2, repeats=3)"

_LOAD_CHAT = """
    def load_chat(api, user_id, redraw):
        answers = {{}}

        def fetch(name, url):
            answers[name] = get_json(url)

        threads = [threading.Thread(target=fetch, args=("friends", api.friends_url(user_id))),
                   threading.Thread(target=fetch, args=("messages", api.messages_url(user_id)))]
        for thread in threads:
            thread.start()
        {wait}
        return answers
"""
_KEEP_REDRAWING = """while any(thread.is_alive() for thread in threads):
            redraw()
            time.sleep(0.01)
        for thread in threads:
            thread.join()"""
_JOIN_AT_ONCE = """for thread in threads:
            thread.join()
        redraw()"""

_HASH = """
    def hash_on_threads(chunks):
        results = [0] * len(chunks)

        def hash_chunk(index, lo, hi):
            results[index] = {work}(lo, hi)

        threads = [threading.Thread(target=hash_chunk, args=(i, lo, hi)) for i, (lo, hi) in enumerate(chunks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(results)
"""

_FIXED_TABLE = (
    "from gillab.experiments.process_costs import BreakEven\n\n"
    "break_even = BreakEven(2, [(10_000, 0.2, 0, 0), (100_000, 0.8, 0, 0), (1_000_000, 1.4, 0, 0), "
    "(3_000_000, 1.7, 0, 0)])\n"
)

# chapter 07's stub is also one of its cases: tests/test_probes_dask_chunks.py types it in on a cluster
_DASK_STUB = _code('''
    def sum_on_cluster(client, chunks):
        """Hand each chunk (lo, hi) to the cluster as a task of count_sum; return the total."""
        raise NotImplementedError("write your answer here")
''')

CASES: dict[str, list[Case]] = {
    "race_lock": [
        Case(SOLUTION, _code(_RACE_THREADS.format(update="with lock:\n                    counter.value += 1")),
             "PASSED", ("without losing one", "inside the lock")),
        Case("no lock", _code(_RACE_THREADS.format(update="counter.value += 1")),
             "NOT YET", ("none of the updates held `lock`", "with lock:")),
        Case("the lock around the write only",
             _code(_RACE_THREADS.format(update="value = counter.value\n"
                                               "                with lock:\n"
                                               "                    counter.value = value + 1")),
             "NOT YET", ("held around the write but not around the read",)),
        Case("threads started and joined one at a time", _code("""
            def count_safely(counter, lock, n_threads, increments):
                def work():
                    for _ in range(increments):
                        with lock:
                            counter.value += 1

                for _ in range(n_threads):
                    thread = threading.Thread(target=work)
                    thread.start()
                    thread.join()
        """), "NOT YET", ("your four threads ran one after another", "start every thread before you join any")),
        Case("a serial loop", _code("""
            def count_safely(counter, lock, n_threads, increments):
                for _ in range(n_threads * increments):
                    with lock:
                        counter.value += 1
        """), "NOT YET", ("ran on the notebook's own thread",)),
        Case("only the course's helper", _code("""
            def count_safely(counter, lock, n_threads, increments):
                race.count_with_threads(n_threads, increments, use_lock=True)
        """), "NOT YET", ("handed its work to gillab.experiments.race.count_with_threads",)),
    ],
    "four_threads": [
        Case(SOLUTION, _code(_VIDEO_SUM.format(run=_START_THEN_JOIN)), "PASSED",
             ("four threads of this kernel", "at the same moment", "210")),
        Case("a serial loop", _code("""
            def video_sum_on_threads():
                return sum(count_sum(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("summed all 4 chunks on the notebook's own thread",)),
        Case("threads started and joined one at a time", _code(_VIDEO_SUM.format(run=_START_AND_JOIN)),
             "NOT YET", ("your four threads ran one after another", "start every thread before you join any")),
        Case("only the course's helper", _code("""
            def video_sum_on_threads():
                return run_threads(count_sum, chunks, 4).result
        """), "NOT YET", ("handed its work to gillab.measure.runners.run_threads",)),
        Case("results never collected", _code("""
            def video_sum_on_threads():
                threads = [threading.Thread(target=count_sum, args=chunk) for chunk in chunks]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return 0
        """), "NOT YET", ("returned 0", "cannot return a value")),
    ],
    "predict_threads": [
        Case(SOLUTION, _code(_MY_WORK.format(prediction="1.0", threaded=_ON_TWO_THREADS)), "PASSED",
             ("you predicted 1x", "GIL")),
        Case("both measured serially",
             _code(_MY_WORK.format(prediction="1.5", threaded="time_call(my_work, 1, N + 1)")),
             "NOT YET", ("not a run on threads",)),
        Case("only the course's workload", _code("""
            N = 300_000


            def my_work(lo, hi):
                return count_sum(lo, hi)


            my_prediction = 1.0
            serial = time_call(my_work, 1, N + 1, repeats=3)
            on_threads = time_call(run_threads, my_work, split_range(1, N + 1, 2), 2, repeats=3)
        """), "NOT YET", ("handed its work to gillab.measure.workloads.count_sum",)),
        Case("no prediction", _code(_MY_WORK.format(prediction="...", threaded=_ON_TWO_THREADS)),
             "NOT YET", ("`my_prediction` is still the stub",)),
    ],
    "responsive_chat": [
        Case(SOLUTION, _code(_LOAD_CHAT.format(wait=_KEEP_REDRAWING)), "PASSED",
             ("both requests were inside the server at the same moment", "UI redrew")),
        Case("one request after the other", _code("""
            def load_chat(api, user_id, redraw):
                friends = get_json(api.friends_url(user_id))
                redraw()
                messages = get_json(api.messages_url(user_id))
                redraw()
                return {"friends": friends, "messages": messages}
        """), "NOT YET", ("never at the server at the same time", "start both requests on threads")),
        Case("threads joined at once, UI frozen", _code(_LOAD_CHAT.format(wait=_JOIN_AT_ONCE)), "NOT YET",
             ("the UI froze while the requests were at the server", "longest freeze")),
        Case("only the course's helper", _code("""
            def load_chat(api, user_id, redraw):
                run = io_tasks.fetch_threaded([api.friends_url(user_id), api.messages_url(user_id)], 2)
                return {"friends": run.results[0], "messages": run.results[1]}
        """), "NOT YET", ("handed its work to gillab.experiments.io_tasks.fetch_threaded",)),
    ],
    "joblib_chunks": [
        Case(SOLUTION, _code("""
            def sum_in_processes(chunks, n_jobs):
                return sum(Parallel(n_jobs=n_jobs)(delayed(count_sum)(lo, hi) for lo, hi in chunks))
        """), "PASSED", ("2 worker processes (not the kernel's)", "at the same moment")),
        Case("a serial loop", _code("""
            def sum_in_processes(chunks, n_jobs):
                return sum(count_sum(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("in the notebook's own process, one after the other", "Parallel(n_jobs=")),
        Case("joblib's threading backend", _code("""
            def sum_in_processes(chunks, n_jobs):
                return sum(Parallel(n_jobs=n_jobs, prefer="threads")(delayed(count_sum)(lo, hi) for lo, hi in chunks))
        """), "NOT YET", ("on threads", "loky")),
        Case("only the course's helper", _code("""
            def sum_in_processes(chunks, n_jobs):
                return run_processes(count_sum, chunks, n_jobs).result
        """), "NOT YET", ("handed its work to gillab.measure.runners.run_processes",)),
    ],
    "break_even": [
        Case(SOLUTION, "my_break_even = break_even.n", "PASSED", ("break-even", "Your table")),
        Case("a size where the processes lost", _FIXED_TABLE + "my_break_even = 100_000", "NOT YET",
             ("at n = 100,000 the processes were slower than the loop (0.80x)",)),
        Case("a size above the break-even", _FIXED_TABLE + "my_break_even = 3_000_000", "NOT YET",
             ("already won at n = 1,000,000", "SMALLEST")),
        Case("None although they won", _FIXED_TABLE + "my_break_even = None", "NOT YET",
             ("won from n = 1,000,000 on",)),
    ],
    "hashing_threads": [
        Case(SOLUTION, _code(_HASH.format(work="hash_blocks")), "PASSED",
             ("2 threads of this kernel were hashing at the same moment",)),
        Case("a serial loop", _code("""
            def hash_on_threads(chunks):
                return sum(hash_blocks(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("summed all 2 chunks on the notebook's own thread",)),
        Case("the pure-Python workload instead", _code(_HASH.format(work="count_sum")), "NOT YET",
             ("never called hash_blocks",)),
        Case("only the course's helper", _code("""
            def hash_on_threads(chunks):
                return run_threads(hash_blocks, chunks, len(chunks)).result
        """), "NOT YET", ("handed its work to gillab.measure.runners.run_threads",)),
    ],
    "interpreter_chunks": [
        Case(SOLUTION, _code("""
            def sum_in_interpreters(chunks, n_interpreters):
                with InterpreterPoolExecutor(max_workers=n_interpreters) as pool:
                    futures = [pool.submit(count_sum, lo, hi) for lo, hi in chunks]
                    return sum(future.result() for future in futures)
        """), "PASSED", ("2 interpreters of this process (not the notebook's)", "at the same moment")),
        Case("a serial loop", _code("""
            def sum_in_interpreters(chunks, n_interpreters):
                return sum(count_sum(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("in the notebook's own interpreter, on its own thread",)),
        Case("a thread pool", _code("""
            from concurrent.futures import ThreadPoolExecutor


            def sum_in_interpreters(chunks, n_interpreters):
                with ThreadPoolExecutor(max_workers=n_interpreters) as pool:
                    return sum(pool.map(count_sum, *zip(*chunks)))
        """), "NOT YET", ("on threads of the notebook's own interpreter", "share its one GIL")),
        Case("one task at a time", _code("""
            def sum_in_interpreters(chunks, n_interpreters):
                with InterpreterPoolExecutor(max_workers=n_interpreters) as pool:
                    return sum(pool.submit(count_sum, lo, hi).result() for lo, hi in chunks)
        """), "NOT YET", ("submitted only after the previous one's result came back",)),
        Case("a pool of one", _code("""
            def sum_in_interpreters(chunks, n_interpreters):
                with InterpreterPoolExecutor(max_workers=1) as pool:
                    futures = [pool.submit(count_sum, lo, hi) for lo, hi in chunks]
                    return sum(future.result() for future in futures)
        """), "NOT YET", ("your pool had max_workers=1",)),
        Case("a function of the notebook", _code("""
            def my_sum(lo, hi):
                return count_sum(lo, hi)


            def sum_in_interpreters(chunks, n_interpreters):
                with InterpreterPoolExecutor(max_workers=n_interpreters) as pool:
                    futures = [pool.submit(my_sum, lo, hi) for lo, hi in chunks]
                    return sum(future.result() for future in futures)
        """), "NOT YET", ("the function my_sum is defined in this notebook", "__main__")),
        Case("only the course's runner", _code("""
            from gillab.measure.subinterpreters import run_subinterpreters


            def sum_in_interpreters(chunks, n_interpreters):
                return run_subinterpreters(count_sum, chunks, n_interpreters).result
        """), "NOT YET", ("handed its work to gillab.measure.subinterpreters.run_subinterpreters",)),
    ],
    "dask_chunks": [
        Case("untouched stub", _DASK_STUB, "Not attempted yet", ("still the stub",)),
        Case(SOLUTION, _code("""
            def sum_on_cluster(client, chunks):
                futures = client.map(count_sum, [lo for lo, hi in chunks], [hi for lo, hi in chunks])
                return sum(client.gather(futures))
        """), "PASSED", ("workers of the cluster were summing chunks at the same moment", "task stream")),
        Case("joblib's dask backend", _code("""
            def sum_on_cluster(client, chunks):
                with parallel_config(backend="dask"):
                    return sum(Parallel(n_jobs=2)(delayed(count_sum)(lo, hi) for lo, hi in chunks))
        """), "PASSED", ("at the same moment",)),
        Case("submit, then result() one at a time", _code("""
            def sum_on_cluster(client, chunks):
                total = 0
                for lo, hi in chunks:
                    total += client.submit(count_sum, lo, hi).result()
                return total
        """), "NOT YET", ("one after another", "submitted only after the one before had finished")),
        Case("everything on one worker", _code("""
            def sum_on_cluster(client, chunks):
                first = sorted(client.nthreads())[0]
                futures = [client.submit(count_sum, lo, hi, workers=[first]) for lo, hi in chunks]
                return sum(client.gather(futures))
        """), "NOT YET", ("ran on one worker", "workers=")),
        Case("one task for all the chunks", _code("""
            def sum_on_cluster(client, chunks):
                return client.submit(lambda: sum(count_sum(lo, hi) for lo, hi in chunks)).result()
        """), "NOT YET", ("one task summed all 4 chunks",)),
        Case("a serial loop in the notebook", _code("""
            def sum_on_cluster(client, chunks):
                return sum(count_sum(lo, hi) for lo, hi in chunks)
        """), "NOT YET", ("in the notebook's own process",)),
        Case("only the course's runner", _code("""
            def sum_on_cluster(client, chunks):
                return run_dask(count_sum, chunks, client=client).result
        """), "NOT YET", ("handed its work to gillab.measure.runners.run_dask",)),
    ],
}


def expected_status(module: str, case: Case, subinterpreters: bool) -> str:
    """The status ``case`` must get here: a subinterpreter challenge's answer cannot run on a Python
    without subinterpreters, where every attempt gets NOT YET with the reason."""
    if module == "interpreter_chunks" and not subinterpreters:
        return "NOT YET"
    return case.status


def expected_words(module: str, case: Case, gil_enabled: bool, effective_cpus: int) -> tuple[str, ...]:
    """``case.words`` plus what the verdict says on this build (GIL on or off) and machine (its CPUs)."""
    if module == "hashing_threads" and case.name == SOLUTION:
        if effective_cpus < 2:
            return case.words + ("took turns on it",)
        return case.words + (("hashlib releases it",) if gil_enabled else ("The GIL is off in this kernel",))
    if module == "joblib_chunks" and case.name == SOLUTION and effective_cpus < 2:
        return case.words + ("took turns on it",)
    if module == "interpreter_chunks":
        from gillab.machine.interpreter import subinterpreter_support

        if not subinterpreter_support().available:
            return ("this kernel cannot run your answer", "Python 3.13 or newer")
        if case.name == SOLUTION and effective_cpus < 2:
            return case.words + ("took turns on it",)
    return case.words
