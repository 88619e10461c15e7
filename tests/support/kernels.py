"""A real Jupyter kernel for tests, driven the way a notebook frontend drives it, and the processes
it leaves behind.

:class:`LiveKernel` starts the course's ``python3`` kernel with jupyter_client, runs code in it,
presses a widget's button by sending the same ``comm_msg`` a browser sends, interrupts it the way
the interrupt button does (SIGINT to the kernel's process group), and shuts it down.
"""

from __future__ import annotations

import os
import queue
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager, start_new_kernel

from gillab.machine.procfs import child_processes, process_info

#: A kernel on a machine busy with other tests can be slow to start or answer.
KERNEL_TIMEOUT_S = 90


def loky_workers(pid: int) -> list[int]:
    """The joblib/loky worker processes of ``pid`` (not its resource trackers, which do no work)."""
    return [
        child for child in child_processes(pid) if "popen_loky" in " ".join(getattr(process_info(child), "command", ()))
    ]


def wait_until(condition, timeout_s: float, what: str, interval_s: float = 0.1):
    """Poll ``condition()`` until it returns something true; fail with ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(interval_s)


class LiveKernel:
    """A kernel of this environment (``python3``: this interpreter), or with ``kernel_dirs`` the
    kernel ``kernel_name`` registered in those folders (e.g. the free-threaded one in the course's
    .venv), started with ``env`` (default: this process's environment)."""

    def __init__(
        self,
        cwd: str | os.PathLike | None = None,
        kernel_name: str = "python3",
        kernel_dirs=None,
        env: dict | None = None,
    ):
        cwd = str(cwd) if cwd else None
        if kernel_dirs is None:
            self.manager, self.client = start_new_kernel(
                kernel_name=kernel_name,
                startup_timeout=KERNEL_TIMEOUT_S,
                cwd=cwd,
                **({"env": env} if env is not None else {}),
            )
        else:
            specs = KernelSpecManager(kernel_dirs=[str(folder) for folder in kernel_dirs])
            self.manager = KernelManager(kernel_name=kernel_name, kernel_spec_manager=specs)
            self.manager.start_kernel(cwd=cwd, **({"env": env} if env is not None else {}))
            self.client = self.manager.client()
            self.client.start_channels()
            try:
                self.client.wait_for_ready(timeout=KERNEL_TIMEOUT_S)
            except RuntimeError:
                self.shutdown()
                raise
        self.pid = int(self.run("import os; print(os.getpid())"))

    def run(self, code: str, timeout_s: float = KERNEL_TIMEOUT_S) -> str:
        """Execute ``code``; return its stdout; raise AssertionError with the traceback if it failed."""
        output = []

        def hook(message):
            if message["msg_type"] == "stream":
                output.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                output.append("\n".join(message["content"]["traceback"]))

        reply = self.client.execute_interactive(code, timeout=timeout_s, output_hook=hook, allow_stdin=False)
        text = "".join(output)
        assert reply["content"]["status"] == "ok", f"kernel code failed:\n{code}\n{text}"
        return text.strip()

    def click(self, model_id: str) -> str:
        """Press a Button widget as a frontend does; returns the message id to wait on."""
        message = self.client.session.msg(
            "comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}
        )
        self.client.shell_channel.send(message)
        return message["header"]["msg_id"]

    def wait_idle(self, parent_id: str, timeout_s: float = KERNEL_TIMEOUT_S, until=None) -> list[dict]:
        """Collect iopub messages caused by ``parent_id`` until the kernel is idle after it, or
        until ``until(message)`` is true for one of them (then the rest can be waited for again)."""
        messages = []
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the kernel was still busy after {timeout_s:g} s")
            try:
                message = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != parent_id:
                continue
            messages.append(message)
            if until is not None and until(message):
                return messages
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                if until is not None:
                    raise AssertionError("the kernel went idle before the awaited message came")
                return messages

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()

    def shutdown(self, now: bool = True) -> None:
        """Stop the kernel: at once (``now``), or politely, as closing a notebook does."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=now)


def status_says(model_id: str, text: str):
    """A predicate for :meth:`LiveKernel.wait_idle`: widget ``model_id`` was given a value containing ``text``."""

    def check(message) -> bool:
        return (
            text in widget_updates([message], model_id)[0].get("value", "")
            if widget_updates([message], model_id)
            else False
        )

    return check


def widget_updates(messages: list[dict], model_id: str) -> list[dict]:
    """The state changes the kernel sent to the frontend for one widget, in order."""
    return [
        message["content"]["data"]["state"]
        for message in messages
        if message["msg_type"] == "comm_msg"
        and message["content"].get("comm_id") == model_id
        and message["content"]["data"].get("method") == "update"
    ]
