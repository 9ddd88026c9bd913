"""What /proc says about a process (CPU time, resident memory) and about the machine (load, CPU model)."""

from __future__ import annotations

import os
import platform
import re
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of every thread of `pid`; with `children`, plus those of its exited, reaped children."""
    try:
        fields = _stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0  # exited between the listing and the read
    # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5).
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def process_tree(root: int) -> list[int]:
    """`root` and its direct children (PostgreSQL's backends are children of the postmaster)."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == root:
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return pids


def memory_kib(pid: int, key: str) -> int:
    """A line of /proc/PID/status in KiB: VmRSS (resident now) or VmHWM (peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def reset_peak_memory(pid: int) -> bool:
    """Resets VmHWM to the current RSS (proc(5), clear_refs value 5), so each row reports its own peak."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def busiest_processes(limit: int = 5) -> list[str]:
    """The processes with the most CPU time over one second, as `name pid%`: who else was using the machine."""
    def sample() -> dict[int, tuple[str, float]]:
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    name = Path(f"/proc/{entry.name}/comm").read_text().strip()
                    found[int(entry.name)] = (name, cpu_seconds(int(entry.name)))
                except OSError:
                    continue
        return found

    before = sample()
    time.sleep(1)
    after = sample()
    usage = [(after[pid][1] - before[pid][1], after[pid][0]) for pid in after if pid in before]
    usage.sort(reverse=True)
    return [f"{name} {seconds * 100:.0f}%" for seconds, name in usage[:limit] if seconds > 0.01]


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return f"{os.cpu_count()} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB, Linux {platform.release()}"
