"""Helpers the tests share; no test module imports another test module or ``conftest``.

- :mod:`support.paths`: where the repository and the developers' shared tools are; free ports.
- :mod:`support.skips`: skipping (with the reason and the install command) what a machine cannot run.
- :mod:`support.kernels`: a real Jupyter kernel driven as a frontend drives it.
- :mod:`support.simultaneity`: the proof, from spans, that two threads computed at the same instant.
- :mod:`support.ft_kernel`: the free-threaded kernel ``make ft-kernel`` registers.
- :mod:`support.browser`, :mod:`support.lab_server`: JupyterLab and Chromium for the browser tests.
- :mod:`support.problem_set_course`, :mod:`support.grade_on_kernel`: nbgrader on temporary course copies.
- :mod:`support.grading_corpus`: the hostile submissions ``gillab grade`` is tested against.
"""
