"""nbgrader's Execute step, run in a sandbox and made to end every notebook with an outcome.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor in the ``Autograde``
converter (``Autograde.autograde_preprocessors``); every other step stays nbgrader's own. It adds:

- the kernel runs in the bubblewrap sandbox (:mod:`gillab.grading.sandbox.kernel_manager`), or unsandboxed when
  ``sandbox_json`` is empty;
- a whole-notebook timeout (``notebook_timeout``) on top of nbgrader's per-cell ``timeout``:
  when it passes, the sandbox is killed;
- a kernel that dies, or a cell that ignores the interrupt, no longer aborts the notebook (plain
  nbgrader then records no grade at all): cells that could not run get an error output, so their
  tests score zero while the cells before keep their points, and grading goes on;
- output beyond ``max_output_bytes`` per cell is dropped while it arrives (errors are kept);
- each test cell the source notebook declares as evidence runs under the witness's eyes
  (:mod:`gillab.grading.witness`): the witness's verdict counts (a test it did not see pass gets an
  error output, so it scores zero), a test the kernel passed but the witness did not is recorded as
  a disagreement, and with ``withhold_evidence`` (the tamper scan found something) every witnessed
  test gets a ``WithheldForReview`` error until the instructor decides (:mod:`gillab.grading.review`);
- the outcome (status, reason, notes; see :mod:`gillab.grading.outcome`) goes into the notebook's
  metadata under ``gillab_grading``; the parent turns the final outcome into a "Grading note" at
  the top of the autograded notebook (:func:`gillab.grading.feedback.add_grading_note`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from .._unix_socket_kernels import use_unix_sockets
from ..machine import procfs
from ..machine.procfs import child_processes
from ..probes.evidence import WITNESS_ENV
from .outcome import worst
from .sandbox.bwrap import SandboxSettings
from .sandbox.kernel_manager import SandboxKernelManager
from .witness import Witness

__all__ = ["SandboxedExecute", "OUTCOME_KEY", "cell_label", "describe_exit", "kill_running_kernels"]

#: Notebook metadata key holding the outcome of executing it.
OUTCOME_KEY = "gillab_grading"
#: The error name of a test cell whose points wait for an instructor's review.
WITHHELD = "WithheldForReview"
_NOT_RUN = "NotRunByGrader"
_SANDBOX_SETUP_FAILED = 97
# kernel processes started here and not yet finished, for kill_running_kernels()
_running_kernels: set = set()


def kill_running_kernels() -> int:
    """Kill every kernel this process started and has not finished (a worker told to stop).

    Each kernel is killed with its whole process group: the sandbox, or the unsandboxed kernel
    and the children it did not move to a session of their own. So is any other child of this
    process: a kernel whose launch was still under way when the stop came is not registered
    yet, and bubblewrap's own ``--die-with-parent`` cannot catch a parent that died before
    bwrap asked for it. Returns how many were killed.
    """
    killed = 0
    for process in list(_running_kernels):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()
            killed += 1
    for pid in child_processes(os.getpid()):
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            killed += 1
        except OSError:  # it ended meanwhile
            pass
    return killed


def cell_label(cell, index: int) -> str:
    """How an outcome names a cell: its nbgrader ``grade_id``, else its 1-based position.

    >>> cell_label({"metadata": {"nbgrader": {"grade_id": "threaded_sum"}}}, 4)
    'threaded_sum'
    >>> cell_label({"metadata": {}}, 4)
    'cell 5'
    """
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return grade_id or f"cell {index + 1}"


def describe_exit(code: int | None) -> str:
    """Words for a kernel's exit status as bubblewrap or Popen reports it.

    >>> describe_exit(1)
    'exit code 1'
    >>> describe_exit(139)
    'signal SIGSEGV'
    >>> describe_exit(-9)
    'signal SIGKILL'
    """
    if code is None:
        return "no exit status"
    number = -code if code < 0 else code - 128 if code > 128 else None
    if number is None:
        return f"exit code {code}"
    try:
        return f"signal {signal.Signals(number).name}"
    except ValueError:
        return f"exit code {code}"


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with a sandboxed kernel, a notebook timeout and a recorded outcome."""

    notebook_timeout = Integer(600, help="Seconds the whole notebook may take, kernel start included").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="Output kept per cell; errors are always kept").tag(config=True)
    sandbox_json = Unicode("", help="SandboxSettings as JSON; empty runs the kernel unsandboxed").tag(config=True)
    kernel_log = Unicode("", help="File for the kernel process's own stdout and stderr").tag(config=True)
    evidence_json = Unicode(
        "", help="{notebook: {grade_id: [evidence entries]}} from the SOURCE notebooks; empty: no witness"
    ).tag(config=True)
    witness_dir = Unicode("", help="Folder in which each notebook's witness folder is made").tag(config=True)
    withhold_evidence = Bool(False, help="Withhold the evidence cells' points until an instructor's review").tag(
        config=True
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)
        self._reset()

    def _reset(self) -> None:
        self._kernel_process = None
        self._current_index = None
        self._executed: set = set()
        self._output_sizes: dict = {}
        self._truncated: set = set()
        self._notebook_timed_out = False
        self._ipc_dir = None
        self._log_stream = None
        self._witness = None
        self._evidence: dict = {}
        self._disagreements: list = []
        self._withheld: dict = {}

    # --- kernel start and stop -------------------------------------------------------------

    def create_kernel_manager(self):
        """A :class:`SandboxKernelManager` on Unix sockets, sandboxed when configured."""
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name", "")
        manager = SandboxKernelManager(kernel_name=self.kernel_name, config=self.config)
        # the sandbox has no network, not even loopback: its kernel can only use Unix sockets
        self._ipc_dir = use_unix_sockets(manager)
        shared = (self._ipc_dir,)
        self._witness = None
        if self._specs():
            # the kernel's probes keep their raw records in a folder the witness watches from here
            folder = tempfile.mkdtemp(prefix="witness-", dir=self.witness_dir or None)
            self._witness = Witness(folder, self._kernel_host_pid)
            shared += (folder,)
        if self.sandbox_json:
            settings = SandboxSettings.from_json(self.sandbox_json)
            input_dir = (self.resources or {}).get("metadata", {}).get("path") or None
            manager.sandbox = settings.with_(
                input_dir=input_dir and os.path.abspath(input_dir),
                shared_dirs=shared,
                environment={
                    **settings.environment,
                    "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
                    **self._witness_environment(),
                },
            )
        self.km = manager
        return manager

    async def async_start_new_kernel(self, **kwargs) -> None:
        """Start the kernel with its output going to ``kernel_log``, and remember its process."""
        if not self.sandbox_json and self._witness is not None:
            kwargs["env"] = {**kwargs.get("env", os.environ), **self._witness_environment()}
        if self.kernel_log:
            self._log_stream = open(self.kernel_log, "ab")
            kwargs.setdefault("stdout", self._log_stream)
            kwargs.setdefault("stderr", subprocess.STDOUT)
        await super().async_start_new_kernel(**kwargs)
        self._kernel_process = getattr(self.km.provisioner, "process", None)
        if self._kernel_process is not None:
            _running_kernels.add(self._kernel_process)

    start_new_kernel = run_sync(async_start_new_kernel)

    # --- the witness -----------------------------------------------------------------------

    def _specs(self) -> dict:
        """This notebook's evidence entries by grade_id (none when no witness is configured)."""
        if not self.evidence_json:
            return {}
        notebook = (self.resources or {}).get("unique_key", "")
        return json.loads(self.evidence_json).get(notebook, {})

    def _witness_environment(self) -> dict:
        return {WITNESS_ENV: str(self._witness.folder)} if self._witness is not None else {}

    def _kernel_host_pid(self) -> int | None:
        """The kernel's process id on the host: the process itself, or inside the sandbox the
        ipykernel process bubblewrap started (bwrap's own init is its parent)."""
        process = self._kernel_process
        if process is None or process.poll() is not None:
            return None
        if not self.sandbox_json:
            return process.pid
        for pid in procfs.descendants(process.pid):
            info = procfs.process_info(pid)
            # bwrap's own processes carry the kernel's command line among their arguments: the
            # kernel is the first process below them that runs it
            runs_bwrap = info is not None and os.path.basename((info.command or ("",))[0]).startswith("bwrap")
            if info is not None and not runs_bwrap and "ipykernel_launcher" in info.command:
                return pid
        return None

    def _apply_evidence(self, cell, grade_id: str, results) -> None:
        """The witness's verdict counts: a test the witness did not see pass scores zero, and a
        test the kernel passed but the witness did not is recorded as a disagreement."""
        kernel_passed = not any(output.get("output_type") == "error" for output in cell.get("outputs", []))
        failed = [result for result in results if not result.passed]
        self._evidence[grade_id] = [
            {"spec": result.spec, "passed": result.passed, "reason": result.reason, "observed": result.observed}
            for result in results
        ]
        if failed:
            if kernel_passed:
                self._disagreements.append({"cell": grade_id, "witness": failed[0].reason})
            cell.outputs.append(new_output(
                "error", ename="GradingFailure", evalue=f"the grader's own check: {failed[0].reason}",
                traceback=[f"GradingFailure: the grader's own check: {failed[0].reason}"],
            ))
        if self.withhold_evidence:
            self._withheld[grade_id] = kernel_passed and not failed
            reason = "withheld until your instructor has looked at this notebook: it changes the grader's instruments"
            cell.outputs.append(new_output("error", ename=WITHHELD, evalue=reason, traceback=[f"{WITHHELD}: {reason}"]))

    def _stop_notebook(self) -> None:
        """The whole-notebook timeout: kill the kernel and everything in its sandbox."""
        self._notebook_timed_out = True
        process = self._kernel_process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                process.kill()

    def _exit_status(self) -> int | None:
        process = self._kernel_process
        if process is None:
            return None
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None

    # --- execution -------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        """Execute one cell, remembering which one runs (for the outcome's reason); a test cell
        that declares evidence runs under the witness's eyes."""
        self._current_index = index
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        specs = self._specs().get(grade_id) if self._witness is not None else None
        if not specs:
            result = super().preprocess_cell(cell, resources, index)
        else:
            with self._witness.watching(specs) as verdicts:
                result = super().preprocess_cell(cell, resources, index)
            self._apply_evidence(result[0], grade_id, verdicts)
        self._executed.add(index)
        return result

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handler, keeping at most ``max_output_bytes`` per cell (errors always)."""
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "update_display_data"):
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(len(str(value)) for value in content.get("data", {}).values())
            used = self._output_sizes.get(cell_index, 0) + size
            self._output_sizes[cell_index] = used
            if used > self.max_output_bytes:
                if cell_index not in self._truncated:
                    self._truncated.add(cell_index)
                    outs.append(
                        new_output(
                            "stream",
                            name="stderr",
                            text=(f"\n[the grader dropped this cell's output after {self.max_output_bytes:,} bytes]\n"),
                        )
                    )
                return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        """Execute ``nb`` like nbgrader does, and always return it with an outcome in its metadata."""
        self._reset()
        started = time.monotonic()
        timer = threading.Timer(self.notebook_timeout, self._stop_notebook)
        timer.daemon = True
        timer.start()
        failure = None
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except (DeadKernelError, CellTimeoutError, RuntimeError, OSError, TimeoutError) as error:
            failure = error
            self.log.warning("Execution stopped: %s: %s", type(error).__name__, error)
        finally:
            timer.cancel()
            _running_kernels.discard(self._kernel_process)
            if self._log_stream is not None:
                self._log_stream.close()
            if self._ipc_dir:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
            if self._witness is not None:
                shutil.rmtree(self._witness.folder, ignore_errors=True)
        nb = self.nb if failure is not None else nb
        outcome = self._outcome(nb, failure)
        outcome["seconds"] = round(time.monotonic() - started, 3)
        outcome["evidence"], outcome["disagreements"] = self._evidence, self._disagreements
        outcome["withheld"] = self._withheld
        nb.metadata[OUTCOME_KEY] = outcome
        return nb, self.resources if resources is None else resources

    # --- the outcome -----------------------------------------------------------------------

    def _mark_not_run(self, nb, reason: str) -> None:
        """Give every cell that did not finish an error output, so its test scores zero."""
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index in self._executed:
                continue
            cell.setdefault("outputs", []).append(
                new_output("error", ename=_NOT_RUN, evalue=reason, traceback=[f"{_NOT_RUN}: {reason}"])
            )

    def _kernel_log_tail(self) -> str:
        if not self.kernel_log or not os.path.exists(self.kernel_log):
            return ""
        with open(self.kernel_log, "rb") as stream:
            stream.seek(max(0, os.path.getsize(self.kernel_log) - 400))
            lines = stream.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    def _failure_status(self, failure, where: str) -> tuple[str, str]:
        """The status and reason of an execution that stopped before the last cell."""
        if self._notebook_timed_out:
            # our own timer killed the sandbox: whatever nbclient raised after that is its echo
            return "timeout", f"notebook timeout: grading stopped after {self.notebook_timeout} s{where}"
        if isinstance(failure, CellTimeoutError):
            # nbclient raises this only when the kernel did not answer the interrupt it sent at
            # the cell timeout (a loop inside a bare except, a C call that ignores signals); an
            # interrupt that worked leaves a CellTimeoutError OUTPUT instead (see below)
            return "timeout", f"timeout{where}: the code kept running after the interrupt and was stopped"
        if isinstance(failure, DeadKernelError) or (self._kernel_process and self._kernel_process.poll() is not None):
            code = self._exit_status()
            if code == _SANDBOX_SETUP_FAILED:
                # the entry program exits with this before the kernel exists: the grader's fault
                return "grading error", f"the sandbox could not start: {self._kernel_log_tail()}"
            if describe_exit(code) == "signal SIGXCPU":
                # RLIMIT_CPU's soft limit sends SIGXCPU; nothing else in the sandbox does
                return "cpu limit", f"cpu limit: the kernel used up its {self._cpu_limit()} s of CPU time{where}"
            # os._exit, a segfault, the OOM killer, SIGKILL from the student's own code
            return "kernel died", f"kernel died: {describe_exit(code)}{where}"
        # anything else (a connection error, nbgrader's own exception) is not the student's doing
        return "grading error", f"{type(failure).__name__}: {failure}"

    @staticmethod
    def _cell_statuses(cell, label: str) -> tuple[list[tuple[str, str]], list[str]]:
        """``([(status, reason)...], notes)`` read from one executed cell's error outputs."""
        found, notes = [], []
        outputs = cell.get("outputs", [])
        timed_out = any(output.get("ename") == "CellTimeoutError" for output in outputs)
        for output in outputs:
            if output.get("output_type") != "error":
                continue
            name, value = output.get("ename", ""), str(output.get("evalue", ""))
            if name == "CellTimeoutError":
                # nbgrader's Execute interrupted the cell at the timeout and recorded this output
                found.append(("timeout", f"timeout in {label}"))
            elif name == "MemoryError":
                # RLIMIT_AS: an allocation beyond the address-space limit fails, and CPython
                # turns a failed allocation into MemoryError
                found.append(("memory limit", f"memory limit in {label}"))
            elif (name == "BlockingIOError" and "temporarily unavailable" in value) or (
                "can't start new thread" in value
            ):
                # RLIMIT_NPROC: fork/clone fail with EAGAIN ("Resource temporarily unavailable",
                # raised as BlockingIOError by os.fork and subprocess) and pthread_create fails
                # the same way, which threading reports as "can't start new thread"
                found.append(("process limit", f"process limit in {label}"))
            elif name in ("SystemExit", "KeyboardInterrupt") and not timed_out and not cell.metadata.get(
                "nbgrader", {}
            ).get("grade"):
                # sys.exit() in the student's own cell leaves the kernel alive (IPython catches
                # it); worth a note, not a status. In a test cell it is a failed test, and after
                # a timeout the KeyboardInterrupt is the timeout's own
                notes.append(f"{name} in {label}")
        return found, notes

    def _outcome(self, nb, failure) -> dict:
        statuses, reasons, notes = [], {}, []

        def add(status: str, reason: str) -> None:
            statuses.append(status)
            reasons.setdefault(status, reason)

        where = ""
        if self._current_index is not None and self._current_index < len(nb.cells):
            where = f' in cell "{cell_label(nb.cells[self._current_index], self._current_index)}"'
        if failure is not None:
            add(*self._failure_status(failure, where))
            self._mark_not_run(nb, reasons[statuses[0]])
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                found, cell_notes = self._cell_statuses(cell, f'cell "{cell_label(cell, index)}"')
                for status, reason in found:
                    add(status, reason)
                notes += cell_notes
        for index in sorted(self._truncated):
            notes.append(f'output of cell "{cell_label(nb.cells[index], index)}" truncated')
        # the worst status is the outcome; the others stay as notes, so nothing is hidden
        status = worst(statuses)
        extra = [reasons[s] for s in dict.fromkeys(statuses) if s != status]
        return {"status": status, "reason": reasons.get(status, ""), "notes": extra + notes}

    def _cpu_limit(self) -> int | str:
        try:
            return SandboxSettings.from_json(self.sandbox_json).limits.cpu_seconds
        except (ValueError, KeyError):
            return "?"
