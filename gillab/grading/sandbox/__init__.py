"""The bubblewrap sandbox a submission's kernel runs in.

- :mod:`~gillab.grading.sandbox.bwrap`: the limits and the ``bwrap`` command line that builds the sandbox.
- :mod:`~gillab.grading.sandbox.entry`: the first program inside it (copy files, set limits, drop privileges).
- :mod:`~gillab.grading.sandbox.kernel_manager`: a Jupyter kernel manager that starts kernels inside it.
"""
