"""The video's chat app, run on 127.0.0.1 so that a notebook can measure real requests.

- :mod:`~gillab.chat.server`: ``ChatServer``, a slow HTTP API with a log of every request's arrival and departure.
- :mod:`~gillab.chat.client`: ``get_json`` and ``FetchError``, fetching JSON with errors a learner can read.
"""
