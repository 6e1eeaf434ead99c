"""``python -m clustergen`` works like the ``clustergen`` command."""

import sys

from clustergen.cli import main

sys.exit(main())
