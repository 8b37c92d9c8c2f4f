"""`onevoice model`: the learned heads of screening and triage (what is shipped, and rebuilding it)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .base import app, fail, friendly

model_app = typer.Typer(help="The learned screening and triage heads.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("info")
@friendly
def info():
    """Which head sets are shipped: encoder, version, training data and cross-validated figures."""
    from onevoice.learned.heads import load

    for name in ("screening", "triage"):
        heads = load(name)
        if heads is None:
            typer.echo(f"{name}: not built")
            continue
        m = heads.meta
        typer.echo(json.dumps({"heads": name, "version": m.get("version"), "encoder": m.get("encoder"),
                               "trained": m.get("trained"), "corpus_items": m.get("corpus_items"),
                               "corpus_digest": m.get("corpus_digest"), "thresholds": m.get("thresholds"),
                               "validation": m.get("validation")}, ensure_ascii=False))


@model_app.command("train")
@friendly
def train(data: Path = typer.Option(Path("../shared/data"), help="the public data sets and the validation sets"),
          encoder: str = typer.Option("use-m3", help="the sentence encoder (use-m3 or e5-small)"),
          out: Optional[Path] = typer.Option(None, help="write the heads here instead of replacing the shipped ones"),
          force: bool = typer.Option(False, help="replace the heads even if they score worse on the validation sets")):
    """Rebuild the heads from the training corpus (minutes on 2 cores) and write their metrics."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    try:
        from onevoice.training.run import WorseThanShipped, train as run
    except ImportError as exc:
        fail(f"training needs the 'train' extra (pip install 'onevoice[train]'): {exc.name} is missing")
    if not data.is_dir():
        fail(f"{data} is not a folder (give --data, the folder with the public sets and policy-cases)")
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task = bar.add_task("training", total=1.0)

        def progress(message, done):
            bar.update(task, completed=done, description=message)

        try:
            result = run(data, encoder, out, force, progress)
        except WorseThanShipped as exc:
            fail(str(exc), 1)
    s, t = result.screening, result.triage
    typer.echo("cross-validated on the training corpus (5 folds):")
    for clause, m in s["clauses"].items():
        typer.echo(f"  {clause}: P={m['precision']:.2f} R={m['recall']:.2f} F1={m['f1']:.2f} AUC={m['auc']:.3f} "
                   f"review>={m['review']:.2f} block>={m['block']:.2f}")
    typer.echo(f"  macro-F1 2.a-2.f {s['macro_f1_2a_2f']:.3f}, false blocks {s['false_block_rate']:.1%}; "
               f"triage escalation F1 {t['escalate']['f1']:.3f}, category accuracy {t['category']['accuracy']:.3f}")
    typer.echo(f"validation sets (never trained on): {json.dumps(result.validation)}")
    typer.echo(f"heads written to {result.out_dir}")
