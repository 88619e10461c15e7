"""The classroom: the course on a real JupyterHub, where students fetch, submit and get feedback
in JupyterLab, and grades go to the learning platform. ``gillab classroom`` and ``make classroom``.

One module per job:

- :mod:`~gillab.classroom.settings`: the classroom's settings in one place (the local classroom and
  the deployment files are made from them).
- :mod:`~gillab.classroom.roster`: the class list (CSV ``id,name,email``), checked as a whole.
- :mod:`~gillab.classroom.accounts`: Unix users and groups as The Littlest JupyterHub makes them;
  the sweep of the course's processes.
- :mod:`~gillab.classroom.exchange`: nbgrader's exchange folders, their owners and modes.
- :mod:`~gillab.classroom.size_checked_submit`: nbgrader's submit with the size limit checked first
  and submissions readable only by the instructors.
- :mod:`~gillab.classroom.jupyter_files`: the configuration of every user's server, the
  instructor's, and the course folder in the instructor's home.
- :mod:`~gillab.classroom.hub_config`: the generated ``jupyterhub_config.py``.
- :mod:`~gillab.classroom.installs`: the classroom's Python environment and JupyterHub's proxy.
- :mod:`~gillab.classroom.hub`: start, stop, status, adding students.
- :mod:`~gillab.classroom.simulated_class`: students submitting at the same moment as their own
  Unix users (the tests and the benchmark).
- :mod:`~gillab.classroom.classroom_benchmark`: ``gillab classroom bench``.
- :mod:`~gillab.classroom.deploy`: the files in ``deploy/`` for The Littlest JupyterHub and Zero to JupyterHub.
- :mod:`~gillab.classroom.classroom_command`: the command line.

Importing this package imports nothing heavy.
"""
