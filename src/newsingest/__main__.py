"""Allow ``python -m newsingest``."""

import sys

from newsingest.cli import main

sys.exit(main())
