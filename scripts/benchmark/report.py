"""docs/benchmarks.md's generated part (between its markers; the prose around it is kept), the targets met or
missed, and the plot: requests/s and p99 per row, each build against the database ceiling."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from .rows import Row
from .run import CEILING, Measurement

BEGIN, END = "<!-- scripts/bench: generated from here -->", "<!-- scripts/bench: generated up to here -->"
MIB = 1024
# The minimum: medians of at least 5 runs; shorter runs are labelled as such in the doc.
FULL_RUNS, FULL_SECONDS = 5, 5


@dataclass
class Summary:
    """The runs of one row on one side: medians, and the spread as the lowest and highest run."""
    runs: list[Measurement]

    def median(self, key: str) -> float:
        return statistics.median(getattr(m.load, key) for m in self.runs)

    def span(self, key: str) -> tuple[float, float]:
        values = [getattr(m.load, key) for m in self.runs]
        return min(values), max(values)

    @property
    def rate(self) -> float:
        return statistics.median(m.load.rate for m in self.runs)

    @property
    def rate_span(self) -> tuple[float, float]:
        return min(m.load.rate for m in self.runs), max(m.load.rate for m in self.runs)

    @property
    def errors(self) -> int:
        return sum(m.load.errors for m in self.runs)

    def cpu(self, key: str) -> float | None:
        values = [getattr(m, key) for m in self.runs if getattr(m, key) is not None]
        return statistics.median(values) if values else None

    def peak_mib(self, service: str) -> float:
        return max((m.peak_kib.get(service, 0) for m in self.runs), default=0) / MIB


def summarize(measurements: list[Measurement]) -> dict[tuple[str, str], Summary]:
    found: dict[tuple[str, str], Summary] = {}
    for m in measurements:
        found.setdefault((m.row, m.side), Summary([])).runs.append(m)
    return found


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def table(rows: list[Row], sides: list[str], summaries: dict[tuple[str, str], Summary]) -> list[str]:
    lines = ["| row | side | requests/s: median (lowest–highest run) | of ceiling | p50 ms | p90 ms | "
             "p99 ms: median (lowest–highest) | p99.9 ms | errors | CPU s/1k: ours, database | "
             "peak RSS MiB: backend, frontend |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        ceiling = summaries.get((row.key, CEILING))
        for side in [*sides, CEILING]:
            s = summaries.get((row.key, side))
            if s is None:
                continue
            low, high = s.rate_span
            p99_low, p99_high = s.span("p99")
            ratio = f"{s.rate / ceiling.rate:.0%}" if ceiling and side != CEILING and ceiling.rate else ""
            ours = s.cpu("service_cpu")
            cpu = f"{ours:.3f}, {s.cpu('database_cpu'):.3f}" if ours is not None else f"–, {s.cpu('database_cpu'):.3f}"
            rss = "" if side == CEILING else f"{s.peak_mib('backend'):.1f}, {s.peak_mib('frontend'):.1f}"
            title = row.title if side == sides[0] or (side == CEILING and len(sides) == 0) else ""
            lines.append(f"| {title} | {side} | {_rate(s.rate)} ({_rate(low)}–{_rate(high)}) | {ratio} | "
                         f"{_ms(s.median('p50'))} | {_ms(s.median('p90'))} | {_ms(s.median('p99'))} "
                         f"({_ms(p99_low)}–{_ms(p99_high)}) | {_ms(s.median('p999'))} | {s.errors} | {cpu} | {rss} |")
    return lines


def targets(rows: list[Row], builds: list[str], summaries: dict[tuple[str, str], Summary],
            idle_kib: dict[str, dict[str, int]]) -> list[str]:
    """The issue's targets, each judged from the medians, build by build."""
    shipped = [b for b in builds if b in ("glibc", "musl")]
    lines = ["| target | build | measured | verdict |", "|---|---|---|---|"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    def add(target: str, build: str, measured: str, ok: bool) -> None:
        lines.append(f"| {target} | {build} | {measured} | {verdict(ok)} |")

    for build in shipped:
        if (s := summaries.get(("list-50", build))) and (c := summaries.get(("list-50", CEILING))):
            add("task list 50 of 50: ≥ 50% of its ceiling", build, f"{s.rate / c.rate:.0%}", s.rate >= 0.5 * c.rate)
            add("task list 50 of 50: p99 ≤ 10 ms at c=16", build, f"{_ms(s.median('p99'))} ms", s.median("p99") <= 10)
        listed = [(row.key, summaries[(row.key, build)].rate / summaries[(row.key, CEILING)].rate)
                  for row in rows if "list-1000" in row.tags and (row.key, build) in summaries]
        if listed:
            worst = min(listed, key=lambda item: item[1])
            add("task list 100 of 1,000, every filter and sort: ≥ 40% of its ceiling", build,
                f"lowest {worst[1]:.0%} ({worst[0]})", worst[1] >= 0.4)
        if (s := summaries.get(("chat-serial", build))):
            add("chat turn, embedded engine: p50 ≤ 5 ms server-side (one at a time)", build,
                f"{_ms(s.median('p50'))} ms", s.median("p50") <= 5)
        if (s := summaries.get(("chat", build))):
            add("chat turn, embedded engine: ≥ 1,000 turns/s", build, f"{_rate(s.rate)}/s", s.rate >= 1000)
        loaded = [(row.key, max(summaries[(row.key, build)].peak_mib("backend"),
                                summaries[(row.key, build)].peak_mib("frontend")))
                  for row in rows if row.key != "login" and (row.key, build) in summaries]
        if loaded:
            worst = max(loaded, key=lambda item: item[1])
            add("peak RSS under load ≤ 40 MiB per service (login apart, see below)", build,
                f"highest {worst[1]:.1f} MiB ({worst[0]})", worst[1] <= 40)
        if (s := summaries.get(("login", build))):
            peak = s.peak_mib("backend")
            add("peak RSS ≤ 40 MiB during the login burst (argon2id)", build, f"{peak:.1f} MiB", peak <= 40)
        if build in idle_kib:
            idle = max(idle_kib[build].values()) / MIB
            add("idle RSS ≤ 20 MiB per service", build, f"{idle:.1f} MiB", idle <= 20)
    if "glibc" in builds and "musl" in builds:
        compared = [row.key for row in rows if (row.key, "glibc") in summaries and (row.key, "musl") in summaries]
        if compared:
            rates = {k: summaries[(k, "musl")].rate / summaries[(k, "glibc")].rate for k in compared}
            p99s = {k: summaries[(k, "musl")].median("p99") / summaries[(k, "glibc")].median("p99") for k in compared}
            slow = min(rates, key=rates.get)
            tail = max(p99s, key=p99s.get)
            add("musl within 5% of glibc: throughput", "musl", f"lowest {rates[slow]:.0%} of glibc ({slow})",
                rates[slow] >= 0.95)
            add("musl within 5% of glibc: p99", "musl", f"highest {p99s[tail]:.0%} of glibc's ({tail})",
                p99s[tail] <= 1.05)
    return lines


def write(out: Path, rows: list[Row], context: dict, measurements: list[Measurement], builds: list[str]) -> None:
    summaries = summarize(measurements)
    settings = context["settings"]
    idle = context["idle_kib"]
    generated = [
        BEGIN,
        "## Results",
        "",
        f"Run of {context['date']} on commit `{context['commit']}`" + _caveat(context) + ".",
        "",
        f"- Machine: {context['machine']}; PostgreSQL {context['postgresql']} (throwaway cluster, fsync off) and "
        "both load generators on the same machine, over loopback.",
        f"- Load average (1, 5, 15 min): {context['load_before']} before, {context['load_after']} after; busiest "
        f"processes just before: {', '.join(context['busiest_before']) or 'none'}.",
        f"- {settings['runs']} runs of {settings['seconds']} s per row and side, interleaved, after a "
        f"{settings['warmup_seconds']} s warm-up; {settings['connections']} connections unless the row says "
        "otherwise; wrk with 2 threads, pgbench `-M prepared` with 2 threads.",
        *(f"- `{name}`: {description}" for name, description in context["builds"].items()),
        "- Idle RSS after start, MiB (backend, frontend): "
        + "; ".join(f"{name} {k['backend'] / MIB:.1f}, {k['frontend'] / MIB:.1f}" for name, k in idle.items()),
        "",
        "![Requests/s and p99 per row, each build against its database ceiling](benchmarks.svg)",
        "",
        "### Targets",
        "",
        *targets(rows, builds, summaries, idle),
        "",
        "### Every row",
        "",
        *table(rows, builds, summaries),
        "",
        *(f"- {row.title}: {row.notes}" for row in rows if row.notes),
        "",
        "### The list's plans on a user with 10,000 tasks",
        "",
        "Each list row's statements as captured, prepared and run with `EXPLAIN (ANALYZE, BUFFERS)` under the "
        "generic plan the service's connections cache (`plan_cache_mode = force_generic_plan`).",
        "",
        *plan_sections(rows, context.get("plans", {})),
        END,
    ]
    doc = out / "benchmarks.md"
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    doc.write_text(before + "\n".join(generated) + after)
    plot(out / "benchmarks.svg", rows, builds, summaries,
         f"scripts/bench, {context['date']}, commit {context['commit']}"
         + (" — a short or smoke run, not the measurement" if _caveat(context) else ""))


def _caveat(context: dict) -> str:
    settings = context["settings"]
    if context["smoke"]:
        return " — **smoke mode: one 1-second run per row, not a measurement**"
    if settings["runs"] < FULL_RUNS or settings["seconds"] < FULL_SECONDS:
        return (f" — **a short run ({settings['runs']} × {settings['seconds']} s per row and side) that shows the "
                f"script works; the targets are judged on `scripts/bench`'s defaults ({FULL_RUNS} × {FULL_SECONDS} s) "
                "on a quiet machine**")
    return ""


def plan_sections(rows: list[Row], plans: dict[str, list[str]]) -> list[str]:
    lines = []
    for row in rows:
        if row.key in plans:
            lines += [f"<details><summary>{row.title}</summary>", "", "```text",
                      *"\n\n".join(plans[row.key]).splitlines(), "```", "", "</details>", ""]
    return lines


def plot(path: Path, rows: list[Row], builds: list[str], summaries: dict[tuple[str, str], Summary],
         title: str) -> None:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "scripts/bench", "font.size": 9})
    sides = [b for b in builds if b != "musl-system-malloc"] + [CEILING]
    colors = {"glibc": "#4c72b0", "musl": "#55a868", CEILING: "#b0b0b0"}
    shown = [row for row in rows if (row.key, CEILING) in summaries]
    figure, (rates, tails) = plt.subplots(1, 2, figsize=(11, 0.42 * len(shown) + 1.6), sharey=True)
    height = 0.8 / len(sides)
    for index, side in enumerate(sides):
        ys = [i + (index - (len(sides) - 1) / 2) * height for i in range(len(shown))]
        found = [summaries.get((row.key, side)) for row in shown]
        label = "database ceiling (pgbench, same SQL)" if side == CEILING else f"ours, {side}"
        rates.barh(ys, [s.rate if s else 0 for s in found], height, label=label, color=colors.get(side))
        tails.barh(ys, [s.median("p99") if s else 0 for s in found], height, color=colors.get(side))
    rates.set_yticks(range(len(shown)), [row.key for row in shown])
    rates.invert_yaxis()
    rates.set_xscale("log")
    rates.set_xlabel("requests (transactions) per second, median — log scale")
    tails.set_xscale("log")
    tails.set_xlabel("p99 latency, ms, median — log scale")
    for axis in (rates, tails):
        axis.grid(axis="x", which="both", alpha=0.3)
    figure.suptitle(title, fontsize=9)
    figure.legend(*rates.get_legend_handles_labels(), loc="lower center", ncol=len(sides), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(path, metadata={"Date": None})
    plt.close(figure)
