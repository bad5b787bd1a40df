"""Find the scenarios, run the chosen ones, print their figures and write their result files."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from . import scenarios as scenarios_package
from .context import Context, LoadSettings
from .environment import activate, prepare

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Scenario:
    name: str
    module: ModuleType
    order: int

    @property
    def summary(self) -> str:
        doc = (self.module.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def run(self, ctx: Context) -> dict:
        return self.module.run(ctx)


def discover() -> dict[str, Scenario]:
    """Every module in ``bench/scenarios/`` with a ``NAME`` and a ``run(ctx)``, in run order."""
    found = []
    for info in pkgutil.iter_modules(scenarios_package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{scenarios_package.__name__}.{info.name}")
        name = getattr(module, "NAME", None)
        if not isinstance(name, str) or not callable(getattr(module, "run", None)):
            raise TypeError(f"bench scenario module {info.name} needs a NAME and a run(ctx)")
        found.append(Scenario(name, module, int(getattr(module, "ORDER", 100))))
    found.sort(key=lambda scenario: (scenario.order, scenario.name))
    names = [scenario.name for scenario in found]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise TypeError(f"two bench scenarios are named {', '.join(sorted(duplicates))}")
    return {scenario.name: scenario for scenario in found}


def flat_figures(figures: dict) -> dict[str, str | int | float]:
    """Check a result is one flat object of numbers and strings."""
    for key, value in figures.items():
        if not isinstance(key, str):
            raise TypeError(f"result key {key!r} is not a string")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"result {key!r} is {type(value).__name__}: numbers or strings only")
        if isinstance(value, float) and value != value:
            raise TypeError(f"result {key!r} is not a number")
    return figures


def assemble(ctx: Context, figures: dict, seconds: float) -> dict[str, str | int | float]:
    """Labels first, then the scenario's figures, then the reference page's if not given."""
    result: dict = {"scenario": ctx.scenario, **ctx.labels()}
    result.update(figures)
    for key, value in (ctx.reference_figures() if ctx.wants_reference else {}).items():
        result.setdefault(key, value)
    result["measured_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    result["wall_s"] = round(seconds, 1)
    return flat_figures(result)


def write_result(name: str, result: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def format_table(result: dict) -> str:
    width = max(len(key) for key in result)
    lines = [f"  {key.ljust(width)}  {value}" for key, value in result.items()]
    rule = "  " + "-" * (width + 2 + max(len(str(value)) for value in result.values()))
    return "\n".join([rule, *lines, rule])


@contextmanager
def shielded():
    """Let cleanup finish: a second Ctrl-C or a SIGTERM must not cut it short."""
    previous = {
        signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_scenario(scenario: Scenario, bench, settings: LoadSettings) -> dict:
    ctx = Context(scenario.name, bench, settings)
    started = time.monotonic()
    try:
        figures = scenario.run(ctx)
        if not isinstance(figures, dict):
            raise TypeError(f"{scenario.name}.run(ctx) returned {type(figures).__name__}, not dict")
        return assemble(ctx, figures, time.monotonic() - started)
    finally:
        with shielded():
            ctx.close()


def parse_args(argv, known: dict[str, Scenario]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the portal's benchmark scenarios (all of them when none is named).",
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(known))
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in known]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(known)}")
    return args


def main(argv: list[str] | None = None) -> int:
    known = discover()
    args = parse_args(sys.argv[1:] if argv is None else argv, known)
    if args.list:
        for scenario in known.values():
            print(f"{scenario.name:<12} {scenario.summary}")
        return 0
    chosen = [known[name] for name in (args.scenarios or known)]
    settings = LoadSettings.from_environment()
    # Ctrl-C and SIGTERM stop the run, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    failed = []
    bench = None
    try:
        bench = prepare()
        print(
            f"bench: {bench.database} + {bench.broker}, migrating the bench database",
            file=sys.stderr,
            flush=True,
        )
        activate(bench)
        for scenario in chosen:
            try:
                result = run_scenario(scenario, bench, settings)
            except KeyboardInterrupt:
                raise
            except Exception:
                traceback.print_exc()
                print(f"\n{scenario.name}: FAILED\n", flush=True)
                failed.append(scenario.name)
                continue
            path = write_result(scenario.name, result)
            print(f"\n{scenario.name}\n{format_table(result)}\n  -> {path}\n", flush=True)
    except KeyboardInterrupt:
        print("\nbench interrupted; everything it started has been stopped", file=sys.stderr)
        return 130
    finally:
        if bench is not None:
            with shielded():
                bench.close()
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
