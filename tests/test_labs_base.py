"""What every lab's Run button does with a run that raises, is interrupted, or cannot stop."""

import html

from gillab.labs.base import Lab, SettingsError
from gillab.machine.cpus import one_cpu_note


class ScriptedLab(Lab):
    """A lab whose run does what the test says."""

    name = "scripted"

    def __init__(self, outcome, stop=None):
        super().__init__(effective_cpus=2)
        self.outcome, self.stop = outcome, stop
        self.states = []
        self.build(controls=[], results=[])

    def measure(self):
        self.states.append((self.run.disabled, self.run.description, self.running))
        if self.outcome is not None:
            raise self.outcome

    def stop_after_interrupt(self):
        if isinstance(self.stop, BaseException):
            raise self.stop
        return self.stop or ""


def test_the_button_is_disabled_only_while_the_run_lasts():
    lab = ScriptedLab(None)
    lab.run.click()
    assert lab.states == [(True, "Running...", True)]
    assert (lab.run.disabled, lab.run.description, lab.running) == (False, "Run", False)
    assert "gillab-scripted-lab" in lab.widget._dom_classes and "gillab-lab" in lab.widget._dom_classes


def test_an_interrupt_is_reported_and_the_lab_says_what_it_stopped():
    lab = ScriptedLab(KeyboardInterrupt(), stop="its worker processes were stopped")
    lab.run.click()
    assert lab.interrupted == 1 and lab.errors == []
    assert "Interrupted." in lab.message.value and "its worker processes were stopped" in lab.message.value
    assert not lab.run.disabled


def test_a_failure_while_stopping_tells_the_learner_to_restart_the_kernel():
    lab = ScriptedLab(KeyboardInterrupt(), stop=KeyboardInterrupt())
    lab.run.click()
    assert "restart the kernel" in lab.message.value and not lab.run.disabled


def test_errors_are_shown_with_their_message_and_a_folded_traceback():
    lab = ScriptedLab(RuntimeError("the <disk> is full"))
    lab.run.click()
    assert "RuntimeError: the &lt;disk&gt; is full" in lab.message.value  # escaped, not HTML
    assert "<details><summary>Traceback</summary>" in lab.message.value
    assert lab.status.value.startswith("Failed")


def test_settings_errors_are_shown_plainly():
    lab = ScriptedLab(SettingsError("Tick a mode."))
    lab.run.click()
    assert "Tick a mode." in lab.message.value and "Traceback" not in lab.message.value


def test_the_cpu_line_names_the_count_and_on_one_cpu_explains():
    assert "<b>2</b> CPUs" in ScriptedLab(None).note.value
    one = Lab(effective_cpus=1, note_extra="(extra)")
    assert html.escape(one_cpu_note(1)) in one.note.value and one.note.value.endswith("(extra)")
