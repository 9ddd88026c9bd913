"""python -m rehearsal (run by scripts/rehearse): exit 0 when the rehearsal passed, 1 when it failed."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .run import FAILURES, Options, Rehearsal
from .sweep import sweep_stale_runs


def _interrupt(*_: object) -> None:
    """SIGTERM (a CI timeout, say) unwinds like Ctrl-C, so cleanup still runs."""
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/rehearse", description=__doc__)
    parser.add_argument("--chart", type=Path, default=Options.chart, help="chart directory (default: helm-chart)")
    parser.add_argument("--description", type=Path, default=Options.description,
                        help="image description (default: nix/images.json)")
    parser.add_argument("--binary", action="append", default=[], metavar="PACKAGE=PATH",
                        help="use this file as PACKAGE's binary instead of building it")
    args = parser.parse_args()
    binaries = dict(item.split("=", 1) for item in args.binary)
    options = Options(chart=args.chart.resolve(), description=args.description.resolve(),
                      binaries={k: Path(v).resolve() for k, v in binaries.items()})

    signal.signal(signal.SIGTERM, _interrupt)
    rehearsal = Rehearsal(options)
    sweep_stale_runs(rehearsal.podman)
    try:
        rehearsal.run()
    except FAILURES as err:
        print(f"\nrehearsal FAILED: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nrehearsal interrupted (cleaned up)", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
