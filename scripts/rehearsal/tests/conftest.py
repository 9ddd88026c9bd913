"""The rehearsal's tests import it as `rehearsal` (scripts/ on sys.path), like scripts/rehearse runs it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
