"""`make bench`: every benchmark in one process run, written to BENCHMARKS.md."""
from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from . import engine_speed, learned, pii

OUT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def main() -> None:
    sections = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {datetime.date.today().isoformat()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, one process (one core) for every figure below. "
        "Every figure comes from the same run, so the ratios compare like with like.",
        "",
        "## Personal data: onevoice vs presidio-analyzer (no NER model)",
        "",
        (pii.__doc__ or "").strip(),
        "",
    ]
    result = pii.run()
    sections += [pii.table(result), ""]
    sections += ["## Learned screening and triage: held-out quality and speed", "", (learned.__doc__ or "").strip(), "",
                 learned.run(), ""]
    speed = engine_speed.run()
    sections += ["## The whole engine (recognizers and learned heads): throughput and latency", "", (engine_speed.__doc__ or "").strip(), "",
                 "| drafts | drafts/s | p50 ms | p99 ms |", "|---|---|---|---|"]
    for name, m in speed.items():
        sections.append(f"| {name.replace('_', ' ')} (mean {m['mean_chars']:.0f} chars) | {m['drafts_per_s']:.0f} | "
                        f"{m['p50_ms']:.2f} | {m['p99_ms']:.2f} |")
    try:
        from . import triage as triage_bench  # noqa: F401
    except ImportError:
        pass
    else:
        sections += ["", "## Triage", "", triage_bench.table(triage_bench.run())]
    from . import load, pages

    sections += ["", "## Page speed: every page at the demo organization's size", "", (pages.__doc__ or "").strip(), "", pages.table(pages.run())]

    sections += ["", "## Load: the HTTP server under concurrent requests", "", load.table(load.run_alone())]
    OUT.write_text("\n".join(sections) + "\n", encoding="utf-8")
    print("\n".join(sections))


if __name__ == "__main__":
    main()
