"""The benchmark's tests import it as `benchmark` (scripts/ on sys.path), like scripts/bench runs it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
