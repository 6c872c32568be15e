"""``python -m index``: build, update, inspect and roll back the index.

Exit codes: 0 done; 1 done, but some articles were skipped; 2 nothing was
written (bad folder, another writer running, strict mode, a version that would
be empty or lose more than half the articles without ``--allow-shrink``, model
problem).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description="Manage the FAQ bot's article index.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, content: bool) -> None:
        p.add_argument("--index-dir", type=Path, help="index folder (FAQBOT_INDEX_DIR, default var/index)")
        if content:
            p.add_argument("--content", type=Path, help="articles folder (FAQBOT_CONTENT_DIR, default content/)")
            p.add_argument("--model", help="embedding model name or path (FAQBOT_EMBEDDING_MODEL)")
            p.add_argument("--strict", action="store_true", help="abort and keep the live index if any article fails")
            p.add_argument(
                "--allow-shrink", action="store_true",
                help="make the new version live even if it holds no article or lost more than half of them",
            )
        p.add_argument("--json", action="store_true", help="print one JSON object")

    build = sub.add_parser("build", help="full build: re-embed every article")
    update = sub.add_parser("update", help="re-embed only added and changed articles")
    for p in (build, update):
        common(p, content=True)
        p.add_argument("--sitemap", action="append", default=[], help="also index the pages of this sitemap (FAQBOT_SITEMAPS)")
        p.add_argument("--feed", action="append", default=[], help="also index the entries of this RSS/Atom feed (FAQBOT_FEEDS)")
    common(sub.add_parser("stats", help="what the live index holds"), content=False)
    common(sub.add_parser("rollback", help="make the previous version live again"), content=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from core.logs import setup_logging
    from core.settings import load_settings

    setup_logging()
    try:
        settings = load_settings(
            content_dir=getattr(args, "content", None),
            index_dir=args.index_dir,
            embedding_model=getattr(args, "model", None),
            sitemaps=" ".join(getattr(args, "sitemap", None) or []) or None,
            feeds=" ".join(getattr(args, "feed", None) or []) or None,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    handler = {"build": _build, "update": _build, "stats": _stats, "rollback": _rollback}[args.command]
    return handler(args, settings)


def _build(args, settings) -> int:
    from index.build import sync_index
    from index.embedder import ModelLoadError
    from index.store import IndexProblem

    try:
        report = sync_index(
            settings,
            full=args.command == "build",
            strict=args.strict,
            allow_shrink=args.allow_shrink,
            progress=not args.json and sys.stderr.isatty(),
        )
    except (IndexProblem, ModelLoadError, FileNotFoundError) as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(args.command, report)
    return EXIT_PARTIAL if report.failed else EXIT_OK


def _print_report(command: str, report) -> None:
    for failure in report.failed:
        kept = " (its previous version stays indexed)" if failure["source"] in report.kept_previous else ""
        print(f"skipped {failure['source']}: {failure['error']}{kept}", file=sys.stderr)
    if command == "update" and not report.written:
        print(f"Nothing changed: version {report.version} stays ({report.articles} articles, {report.seconds:.2f} s).")
        return
    if command == "update":
        print(
            f"Updated: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
            f"{report.chunks_embedded} chunks embedded."
        )
    print(
        f"Indexed {report.articles} articles ({report.chunks} chunks) in {report.seconds:.1f} s "
        f"— version {report.version}" + (f"; {len(report.failed)} skipped" if report.failed else "") + "."
    )


def _stats(args, settings) -> int:
    from index.store import IndexProblem, load_current

    try:
        loaded = load_current(settings.index_dir)
    except IndexProblem as exc:
        print(json.dumps({"error": str(exc)}) if args.json else f"error: {exc}", file=sys.stdout if args.json else sys.stderr)
        return EXIT_ERROR
    m = loaded.manifest
    stats = {
        "index_dir": str(settings.index_dir),
        "version": m["version"],
        "built_at": m.get("built_at"),
        "model": m.get("model"),
        "dimension": m.get("dimension"),
        "index_type": m.get("index_type"),
        "chunking": m.get("chunking"),
        "articles": len(m.get("articles", {})),
        "chunks": m.get("chunk_count"),
        "sources": sorted(m.get("articles", {})),
        "warnings": loaded.warnings,
    }
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
        return EXIT_OK
    print(f"Index {stats['index_dir']} — version {stats['version']}, built {stats['built_at']}")
    print(f"  {stats['articles']} articles, {stats['chunks']} chunks, {stats['index_type']} index")
    print(f"  model {stats['model']} (dimension {stats['dimension']})")
    for warning in loaded.warnings:
        print(f"  warning: {warning}")
    return EXIT_OK


def _rollback(args, settings) -> int:
    from index.build import index_lock
    from index.store import IndexProblem, rollback

    try:
        with index_lock(settings.index_dir):
            name = rollback(settings.index_dir)
    except IndexProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except TimeoutError:
        print("error: another build or update is running; try again when it ends", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps({"version": int(name[1:])}) if args.json else f"Rolled back: {name} is live again.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
