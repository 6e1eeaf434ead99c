"""``python -m clustergen`` works like the ``clustergen`` command."""

import sys

from .cli import main

sys.exit(main())
