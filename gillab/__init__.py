"""GIL Lab: the package every notebook of the course imports. One folder per role, one line each:

- :mod:`gillab.measure`: how numbers are made (workloads, chunks, runners, subinterpreters, timing, speedup, ...).
- :mod:`gillab.machine`: facts about this machine and Python (CPUs, topology, interpreter, /proc, ``gillab doctor``).
- :mod:`gillab.experiments`: one module per phenomenon a chapter measures.
- :mod:`gillab.chat`: the video's chat app, served on 127.0.0.1 (server, client).
- :mod:`gillab.show`: charts and text of measurements, and reference results from other machines.
- :mod:`gillab.labs`: the ipywidgets labs.
- :mod:`gillab.probes`: what check cells import; runs in the learner's kernel.
- :mod:`gillab.grading`: the instructor's pipeline behind ``gillab grade`` (its sandbox inside); no notebook imports it.
- :mod:`gillab.bench`: ``gillab bench``, one module per section.
- :mod:`gillab.classroom`: ``gillab classroom`` and ``make classroom``, the course on a real JupyterHub.
- ``gillab/references/``: reference results (JSON) shipped with the course.
- :mod:`gillab.cli`: the ``gillab`` command (parsing and dispatch only); :mod:`gillab.__main__`: ``python -m gillab``.
- :mod:`gillab.launch`: ``gillab lab``, JupyterLab on the course.
- :mod:`gillab._validate`: the argument checks every public function shares.
- :mod:`gillab._unix_socket_kernels`: kernels this package starts itself talk to it over Unix sockets.
"""

__version__ = "0.1.0"
