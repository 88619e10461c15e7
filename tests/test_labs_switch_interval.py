"""The switch-interval lab: it measures at the slider's interval and gives the learner's back."""

import html
import re
import sys
import threading

import pytest

from gillab.labs import switch_interval_lab
from gillab.labs import switch_interval_widgets as switch_module
from gillab.machine.cpus import one_cpu_note


@pytest.fixture
def learner_interval():
    """A switch interval no lab would choose, set as the learner's own, restored after the test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.0123)
    yield 0.0123
    sys.setswitchinterval(before)


def test_a_run_measures_at_the_slider_value_and_restores_the_learners_interval(learner_interval, monkeypatch):
    seen = []
    real = switch_module.response_delays

    def watched(**kwargs):
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(switch_module, "response_delays", watched)
    lab = switch_interval_lab(duration_s=0.2, effective_cpus=2)
    lab.interval.value = 1.0
    lab.busy_threads.value = 2
    lab.run.click()
    assert lab.errors == [] and lab.message.value == ""
    assert sys.getswitchinterval() == learner_interval
    assert [call["switch_interval_s"] for call in seen] == [0.001, 0.001]
    assert [call["cpu_threads"] for call in seen] == [0, 2]
    row = lab.results[-1]
    assert row["beside_busy"].switch_interval_s == 0.001 and row["beside_busy"].cpu_threads == 2
    assert row["busy_loops"] > 0 and row["wakeups_alone"] > 0 and row["wakeups_busy"] > 0
    assert re.findall(r'<td class="gillab-col-busy_threads">([^<]*)</td>', lab.table.value) == ["2"]
    assert "12.3 ms" in lab.learner_interval.value
    assert not [t for t in threading.enumerate() if t.name.startswith(("busy-", "responder"))]


def test_runs_accumulate_in_the_table_and_the_chart(learner_interval):
    lab = switch_interval_lab(duration_s=0.1, effective_cpus=2)
    for interval in (0.5, 5.0):
        lab.interval.value = interval
        lab.run.click()
    assert [row["switch_interval_ms"] for row in lab.results] == [0.5, 5.0]
    assert re.findall(r'<td class="gillab-col-switch_interval">([^<]*)</td>', lab.table.value) == ["5 ms", "0.5 ms"]
    median = lab.drawn["lines"]["median, 1 busy thread(s)"]
    assert [x for x, _ in median] == [0.5, 5.0]
    assert sys.getswitchinterval() == learner_interval


def test_an_error_during_the_run_is_shown_in_the_lab(monkeypatch):
    def failing(**kwargs):
        raise OSError("the timer broke")

    monkeypatch.setattr(switch_module, "response_delays", failing)
    lab = switch_interval_lab(duration_s=0.1, effective_cpus=2)
    lab.run.click()
    assert "OSError: the timer broke" in lab.message.value and not lab.run.disabled
    assert lab.results == [] and isinstance(lab.errors[-1], OSError)


def test_on_one_cpu_the_lab_says_so():
    lab = switch_interval_lab(effective_cpus=1)
    assert html.escape(one_cpu_note(1)) in lab.note.value and "on one CPU the operating system" in lab.note.value


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"switch_interval_ms": 0.01}, "at least 0.1"),
        ({"switch_interval_ms": 500}, "at most 100"),
        ({"busy_threads": 0}, "busy_threads must be a positive int"),
        ({"duration_s": 60}, "duration_s must be at most 5"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        switch_interval_lab(**kwargs)
