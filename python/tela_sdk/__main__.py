"""``python -m tela_sdk``: the ``tela-sdk`` command."""

import sys

from ._cli import main

sys.exit(main())
