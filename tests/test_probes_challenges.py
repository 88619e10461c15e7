"""The chapter challenges' check modules, in this process: answers are executed into a namespace
the way a notebook cell defines them (``exec`` into a dict that stands for ``globals()``), then each
module judges them. tests/test_course_challenges.py does the same inside the real chapters.
"""

from __future__ import annotations

import threading

import pytest
from support.challenge_answers import CASES, expected_status, expected_words

from gillab.machine.cpus import effective_cpu_count
from gillab.machine.interpreter import gil_enabled, subinterpreter_support
from gillab.probes.challenges import CHALLENGES, judging
from gillab.probes.challenges.judging import NOT_ATTEMPTED, NOT_YET, PASSED, STATUS_WORDS, Challenge, Verdict
from gillab.probes.challenges.stubs import STUB_LINE, is_stub
from gillab.probes.shared_counter import SharedCounter, WatchedLock

#: What each chapter has imported or computed above its challenge (the names answers may use).
CHAPTER_NAMES = {
    "race_lock": "import threading\nfrom gillab.experiments import race",
    "four_threads": (
        "import threading\nfrom gillab.measure.chunks import split_range\nfrom gillab.measure.runners import "
        "run_threads\nfrom gillab.measure.workloads import count_sum\nchunks = split_range(1, 21, 4)"
    ),
    "predict_threads": (
        "from gillab.measure.chunks import split_range\nfrom gillab.measure.runners import run_threads\n"
        "from gillab.measure.timing import time_call\nfrom gillab.measure.workloads import count_sum"
    ),
    "responsive_chat": "import threading\nimport time\nfrom gillab.chat.client import get_json\n"
    "from gillab.experiments import io_tasks",
    "joblib_chunks": "from joblib import Parallel, delayed\nfrom gillab.measure.runners import run_processes\n"
    "from gillab.measure.workloads import count_sum",
    "break_even": "from gillab.experiments import process_costs\n"
    "break_even = process_costs.BreakEven(2, [(10_000, 0.3, 0, 0), (1_000_000, 1.6, 0, 0)])",
    "hashing_threads": "import threading\nfrom gillab.measure.runners import run_threads\n"
    "from gillab.measure.workloads import count_sum, hash_blocks",
    "interpreter_chunks": "from gillab.measure.interpreter_pool import InterpreterPoolExecutor\n"
    "from gillab.measure.subinterpreters import run_subinterpreters\nfrom gillab.measure.workloads import count_sum",
}


def notebook(module: str, answer: str) -> dict:
    """A namespace like a notebook's after its chapter's cells and the answer cell ran."""
    namespace = {"__name__": "__main__"}
    exec(CHAPTER_NAMES[module], namespace)  # noqa: S102 - the test plays the notebook
    exec(answer, namespace)  # noqa: S102
    return namespace


def verdict(module: str, answer: str) -> Verdict:
    from importlib import import_module

    return import_module(f"gillab.probes.challenges.{module}").CHALLENGE.verdict(notebook(module, answer))


# --- the shared protocol -------------------------------------------------------------------------
def judge_sum(namespace):
    total = judging.call_answer("answer()", namespace["answer"])
    return judging.passed("right") if total == 210 else judging.not_yet(f"answer() gave {total}", "add them up")


SUM = Challenge("02", "a test challenge", ("answer",), judge_sum)


def test_a_function_that_only_raises_not_implemented_is_a_stub_and_a_real_one_is_not():
    namespace = notebook("race_lock", f'def answer():\n    """doc"""\n    {STUB_LINE}\n\ndef real():\n    return 1')
    assert is_stub(namespace["answer"]) and not is_stub(namespace["real"])
    assert is_stub(...) and not is_stub(None) and not is_stub(0)


def test_an_untouched_stub_is_not_attempted_yet_and_check_prints_it_without_raising(capsys):
    namespace = notebook("race_lock", f"def answer():\n    {STUB_LINE}")
    assert SUM.verdict(namespace).status == NOT_ATTEMPTED
    SUM.check(namespace)
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "Check: a test challenge (chapter 02)"
    assert printed.splitlines()[1].startswith("Not attempted yet - the answer cell above is still the stub")


def test_an_answer_not_run_yet_is_not_attempted_and_says_to_run_the_cell():
    result = SUM.verdict({})
    assert result.status == NOT_ATTEMPTED and "run the answer cell above" in result.happened


def test_a_partly_written_answer_names_the_part_still_missing():
    challenge = Challenge("03", "two parts", ("work", "guess"), lambda namespace: judging.passed("both"))
    result = challenge.verdict({"work": lambda: 1, "guess": ...})
    assert result.status == NOT_YET and "`guess` is still the stub" in result.happened


def test_the_learners_exception_becomes_a_verdict_that_names_it():
    result = SUM.verdict({"answer": lambda: 1 / 0})
    assert result.status == NOT_YET and "answer() raised ZeroDivisionError: division by zero" in result.happened


def test_not_implemented_raised_deeper_in_the_answer_is_still_not_attempted():
    def helper():
        raise NotImplementedError("write your answer here")

    assert SUM.verdict({"answer": lambda: helper()}).status == NOT_ATTEMPTED


def test_a_bug_in_the_check_itself_is_raised_not_blamed_on_the_learner():
    broken = Challenge("02", "broken", ("answer",), lambda namespace: namespace["missing"])
    with pytest.raises(KeyError):
        broken.verdict({"answer": lambda: 1})


def test_a_verdict_prints_what_happened_and_what_to_change():
    text = judging.not_yet("your four threads ran one after another", "start every thread before you join any")
    assert text.text("x") == (
        "Check: x\nNOT YET - your four threads ran one after another.\n"
        "What to change: start every thread before you join any."
    )
    with pytest.raises(ValueError, match="status must be one of"):
        Verdict("maybe", "?")


def test_check_refuses_something_that_is_not_a_namespace():
    with pytest.raises(TypeError, match=r"check\(globals\(\)\)"):
        SUM.verdict("globals")


# --- the shared counter and the watched lock -----------------------------------------------------
def run_counter(update, together=True, n_threads=4, increments=10):
    lock = WatchedLock(gather=n_threads, wait_s=2)
    counter = SharedCounter(lock)

    def work():
        for _ in range(increments):
            update(counter, lock)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
        if not together:
            thread.join()
    for thread in threads:
        thread.join()
    return counter, lock


def locked(counter, lock):
    with lock:
        counter.value += 1


def write_only(counter, lock):
    value = counter.value
    with lock:
        counter.value = value + 1


def test_the_counter_records_updates_held_throughout_when_the_lock_covers_them():
    counter, lock = run_counter(locked)
    updates = counter.updates()
    assert counter.final == 40 and lock.met and len(counter.threads()) == 4
    assert len(updates) == 40 and all(update.held_throughout and not update.interleaved for update in updates)


def test_the_counter_sees_other_threads_between_a_read_and_its_write_outside_the_lock():
    counter, lock = run_counter(write_only)
    updates = counter.updates()
    assert all(not update.held_at_read and update.held_at_write for update in updates)
    assert any(update.interleaved for update in updates) and counter.final < 40


def test_threads_started_one_at_a_time_never_meet_at_the_lock_nor_live_together():
    counter, lock = run_counter(locked, together=False, n_threads=3)
    assert counter.final == 30 and not lock.met and counter.most_alive_at_once() == 1


def test_the_watched_lock_behaves_as_a_lock():
    lock = WatchedLock()
    assert lock.acquire() and lock.locked() and not lock.acquire(blocking=False)
    lock.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()


# --- every challenge module, on the answers the chapter tests type in --------------------------------
#: Judged on a running Dask cluster instead, in tests/test_probes_dask_chunks.py.
NEEDS_A_CLUSTER = {"dask_chunks"}


@pytest.mark.parametrize(
    ("module", "case"),
    [(module, case) for modules in CHALLENGES.values() for module in modules if module not in NEEDS_A_CLUSTER
     for case in CASES[module]],
    ids=lambda item: item if isinstance(item, str) else item.name.replace(" ", "-"),
)
def test_each_module_gives_each_answer_its_verdict(module, case):
    result = verdict(module, case.source)
    text = result.text("x")
    assert STATUS_WORDS[result.status] == expected_status(module, case, subinterpreter_support().available), text
    for word in expected_words(module, case, gil_enabled(), effective_cpu_count()):
        assert word in text


# --- answers the chapter tests leave out -----------------------------------------------------------
def test_race_lock_passes_a_lock_of_the_learners_own_held_correctly():
    answer = CASES["race_lock"][0].source.replace("with lock:", "with mine:").replace(
        "def work():", "mine = threading.Lock()\n\n    def work():"
    )
    assert verdict("race_lock", answer).status == PASSED


def test_race_lock_says_when_threads_are_still_running_after_the_function_returned():
    answer = CASES["race_lock"][0].source.replace("        thread.join()", "        pass")
    result = verdict("race_lock", answer)
    assert result.status == NOT_YET and "still updating the counter" in result.happened


def test_race_lock_catches_an_answer_that_ignores_its_arguments():
    answer = CASES["race_lock"][0].source.replace("range(increments)", "range(20)").replace(
        "range(n_threads)", "range(4)"
    )
    result = verdict("race_lock", answer)
    assert result.status == NOT_YET and "(trial 2 of 5" in result.facts[0]


def test_four_threads_names_a_pool_that_never_runs_two_tasks_at_once():
    answer = (
        "from concurrent.futures import ThreadPoolExecutor\n\n"
        "def video_sum_on_threads():\n"
        "    with ThreadPoolExecutor(max_workers=1) as pool:\n"
        "        return sum(pool.map(lambda chunk: count_sum(*chunk), chunks))\n"
    )
    result = verdict("four_threads", answer)  # waits once at the rendezvous
    assert result.status == NOT_YET and "only 1 thread summed the 4 chunks" in result.happened
    assert "max_workers=1" in result.change


def test_four_threads_names_the_chunks_when_they_are_not_the_videos():
    answer = CASES["four_threads"][0].source.replace("len(chunks)", "4").replace(
        "enumerate(chunks)", "enumerate(split_range(1, 20, 4))"
    )
    result = verdict("four_threads", answer)
    assert result.status == NOT_YET and "(16, 20)" in result.happened and "split_range(1, 21, 4)" in result.change


def test_joblib_chunks_names_one_parallel_call_per_chunk():
    answer = (
        "def sum_in_processes(chunks, n_jobs):\n"
        "    return sum(Parallel(n_jobs=n_jobs)([delayed(count_sum)(lo, hi)])[0] for lo, hi in chunks)\n"
    )
    result = verdict("joblib_chunks", answer)  # waits once, up to joblib_chunks.WAIT_S
    assert result.status == NOT_YET and "one after another" in result.happened and "ONE call" in result.change


def test_break_even_accepts_none_when_the_processes_never_won():
    namespace = notebook("break_even", "my_break_even = None")
    namespace["break_even"] = namespace["process_costs"].BreakEven(2, [(10_000, 0.3, 0, 0), (1_000_000, 0.9, 0, 0)])
    from gillab.probes.challenges import break_even

    assert break_even.CHALLENGE.verdict(namespace).status == PASSED
    namespace["my_break_even"] = 1_000_000
    assert "did not win at the largest size" in break_even.CHALLENGE.verdict(namespace).happened


def test_break_even_without_the_chapters_measurement_says_to_run_it():
    result = verdict("break_even", "my_break_even = 1_000_000\ndel break_even")
    assert result.status == NOT_YET and "run the break-even cell above" in result.change


def test_predict_threads_explains_waiting_threads_without_blaming_the_gil():
    answer = (
        "import time\n\nN = 20\n\n\n"
        "def my_work(lo, hi):\n    time.sleep(0.001 * (hi - lo))\n    return hi - lo\n\n\n"
        "my_prediction = 2\nserial = time_call(my_work, 1, N + 1, repeats=3)\n"
        "on_threads = time_call(run_threads, my_work, split_range(1, N + 1, 2), 2, repeats=3)\n"
    )
    result = verdict("predict_threads", answer)
    assert result.status == PASSED and any(fact.startswith("Your threads mostly waited") for fact in result.facts)
