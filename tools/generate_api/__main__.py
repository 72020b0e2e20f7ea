"""``python tools/generate_api``: write the generated files from the spec."""

import sys
from pathlib import Path

# Run as a folder, this file is not part of its package: make the package importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from generate_api import main

sys.exit(main())
