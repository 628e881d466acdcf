"""Lint throughput: alembic-safe against squawk on the same generated migration history.

    python bench/lint_throughput.py [--statements N] [--per-file N] [--scripts N] [--runs N]
                                    [--json FILE] [--keep DIR]

Generates a deterministic corpus of .sql migration files (``sql_corpus``) and an Alembic project
of op-based revision scripts (``alembic_corpus``), then times, best of ``--runs``:

- alembic-safe in-process: ``analyze`` + ``Checker.check_all`` per file, no interpreter start-up;
- alembic-safe CLI end to end: ``alembic-safe lint DIR --format json`` in a subprocess;
- squawk (``squawk-cli``, the ``bench`` extra) on the same files: ``squawk FILES --reporter json``;
- alembic-safe CLI on the Alembic scripts (offline capture of every ``upgrade()``).

It prints statements/second for each and the ratios alembic-safe/squawk (goal: at most 1.5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import alembic_corpus
import sql_corpus
from timing import best_of, machine, table, tool, write_json

GOAL_RATIO = 1.5


def _lint_in_process(paths: Sequence[Path]) -> tuple[int, int]:
    """Analyze and check every file the way ``alembic-safe lint`` does; (statements, findings)."""
    from alembic_safe.analysis import analyze
    from alembic_safe.analysis.facts import AnalysisContext
    from alembic_safe.checking import Checker
    from alembic_safe.config import load_settings

    settings = load_settings(paths[0].parent)
    statements = findings = 0
    for path in paths:
        context = AnalysisContext(pg_version=settings.pg_version, in_transaction=False)
        facts = analyze(path.read_text(encoding="utf-8"), context)
        statements += len(facts)
        findings += len(Checker(settings, context, path=str(path)).check_all(facts))
    return statements, findings


def _run(cmd: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a linter; exit 0 (clean) and 1 (findings) are both a completed lint."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"{Path(cmd[0]).name} failed (exit {done.returncode}): {tail}")
    return done


def _alembic_safe_cli(exe: str, target: Path, cwd: Path) -> dict[str, Any]:
    done = _run([exe, "lint", str(target), "--format", "json"], cwd)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _figure(seconds: float, items: int, unit: str) -> dict[str, Any]:
    return {"seconds": round(seconds, 4), f"{unit}_per_s": round(items / seconds, 1)}


def _sql_benchmark(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    files = sql_corpus.generate(args.statements, args.per_file, args.seed)
    paths = sql_corpus.write(work / "sql", files)
    total = sum(f.statements for f in files)
    print(f"corpus: {len(paths)} .sql files, {total} statements (seed {args.seed})")
    out: dict[str, Any] = {"files": len(paths), "statements": total}

    linted, findings = _lint_in_process(paths)
    seconds = best_of(args.runs, lambda: _lint_in_process(paths))
    out["alembic_safe_in_process"] = {**_figure(seconds, total, "statements"), "findings": findings}
    if linted != total:
        print(f"note: the analyzer split the corpus into {linted} statements, not {total}")

    exe = tool("alembic-safe")
    if exe is None:
        raise SystemExit("alembic-safe console script not found: pip install -e '.[test,bench]'")
    report = _alembic_safe_cli(exe, work / "sql", work)
    seconds = best_of(args.runs, lambda: _alembic_safe_cli(exe, work / "sql", work))
    out["alembic_safe_cli"] = {
        **_figure(seconds, total, "statements"),
        "findings": len(report["findings"]),
        "reported_statements": report["statements"],
    }
    (work / "empty.sql").write_text("SELECT 1;\n", encoding="utf-8")
    out["alembic_safe_cli_startup_s"] = round(
        best_of(args.runs, lambda: _alembic_safe_cli(exe, work / "empty.sql", work)), 4
    )

    squawk = tool("squawk")
    if squawk is None:
        print("squawk not found (pip install -e '.[bench]' installs squawk-cli): "
              "alembic-safe figures only")
        return out
    names = [str(p.relative_to(work)) for p in paths]
    version = _run([squawk, "--version"], work).stdout.strip()
    squawk_findings = len(json.loads(_run([squawk, *names, "--reporter", "json"], work).stdout))
    seconds = best_of(args.runs, lambda: _run([squawk, *names, "--reporter", "json"], work))
    out["squawk"] = {**_figure(seconds, total, "statements"), "findings": squawk_findings,
                     "version": version}
    for key in ("alembic_safe_cli", "alembic_safe_in_process"):
        out[f"ratio_{key.removeprefix('alembic_safe_')}_vs_squawk"] = round(
            out[key]["seconds"] / out["squawk"]["seconds"], 2
        )
    return out


def _scripts_benchmark(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    ini = alembic_corpus.write_project(work / "alembic", args.scripts, args.seed)
    versions = ini.parent / "migrations" / "versions"
    exe = tool("alembic-safe")
    assert exe is not None
    report = _alembic_safe_cli(exe, versions, ini.parent)
    seconds = best_of(args.runs, lambda: _alembic_safe_cli(exe, versions, ini.parent))
    return {
        "scripts": args.scripts,
        "statements": report["statements"],
        "findings": len(report["findings"]),
        "alembic_safe_cli": {**_figure(seconds, args.scripts, "scripts"),
                             "statements_per_s": round(report["statements"] / seconds, 1)},
    }


def _print(figures: dict[str, Any]) -> None:
    sql = figures["sql"]
    rows = [["tool", "seconds", "statements/s", "findings", "x squawk"]]
    labels = {"alembic_safe_in_process": "alembic-safe (in-process)",
              "alembic_safe_cli": "alembic-safe lint (CLI)", "squawk": "squawk"}
    for key, label in labels.items():
        if key not in sql:
            continue
        ratio = "1.00" if key == "squawk" else (
            f"{sql[key]['seconds'] / sql['squawk']['seconds']:.2f}" if "squawk" in sql else "-")
        rows.append([label, f"{sql[key]['seconds']:.3f}", f"{sql[key]['statements_per_s']:,.0f}",
                     str(sql[key]["findings"]), ratio])
    print()
    print(f".sql corpus: {sql['files']} files, {sql['statements']} statements "
          f"(best of {figures['runs']})")
    print(table(rows))
    print(f"alembic-safe CLI start-up (one tiny file): {sql['alembic_safe_cli_startup_s']:.3f} s")
    if "squawk" in sql:
        ratio = sql["ratio_cli_vs_squawk"]
        verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
        print(f"goal: alembic-safe lint within {GOAL_RATIO}x of squawk's time: "
              f"{ratio:.2f}x -> {verdict}")
    scripts = figures["alembic_scripts"]
    print()
    print(f"Alembic history: {scripts['scripts']} op-based scripts, {scripts['statements']} "
          f"statements, {scripts['findings']} findings")
    cli = scripts["alembic_safe_cli"]
    print(f"alembic-safe lint (CLI): {cli['seconds']:.3f} s = "
          f"{cli['scripts_per_s']:,.1f} scripts/s ({cli['statements_per_s']:,.0f} statements/s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--statements", type=int, default=20_000, help="size of the .sql corpus")
    parser.add_argument("--per-file", type=int, default=50, help="statements per .sql file")
    parser.add_argument("--scripts", type=int, default=200, help="Alembic revision scripts")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    args = parser.parse_args(argv)
    if args.statements < 1 or args.per_file < 3 or args.scripts < 1 or args.runs < 1:
        parser.error("--statements, --scripts and --runs must be positive, --per-file at least 3")
    with tempfile.TemporaryDirectory(prefix="alembic-safe-bench-") as tmp:
        work = Path(args.keep) if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        figures = {"machine": machine(), "runs": args.runs,
                   "sql": _sql_benchmark(work, args),
                   "alembic_scripts": _scripts_benchmark(work, args)}
    _print(figures)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
