"""``python -m gillab`` is the ``gillab`` command."""

import sys

from .cli import main

sys.exit(main())
