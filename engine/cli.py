"""The `lakelens` command: sql, shell, demo, config, cp."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _conf_pairs(pairs: list[str]) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise SystemExit(f"--conf expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _session(args):
    import lakelens

    return lakelens.connect(home=args.home, conf=_conf_pairs(args.conf))


def _print_error(e: Exception) -> None:
    print(f"Error: {e}", file=sys.stderr)


def cmd_sql(args) -> int:
    from lakelens.catalog import LakelensError

    from .output import render

    if args.file:
        text = Path(args.file).read_text()
    elif args.statement:
        text = args.statement
    else:
        text = sys.stdin.read()
    session = _session(args)
    try:
        for result in session.run_script(text):
            if args.format == "table" or result.table.num_columns:
                print(render(result.table, args.format))
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def cmd_shell(args) -> int:
    from .shell import run_shell

    return run_shell(_session(args))


def cmd_demo(args) -> int:
    from .demo import build_demo

    session = _session(args)
    build_demo(session, force=args.force, log=print)
    return 0


def cmd_config(args) -> int:
    from tabulate import tabulate

    from .config import Config

    cfg = Config.load(args.home, _conf_pairs(args.conf))
    print(tabulate(cfg.describe(), headers=["key", "value", "source"], tablefmt="psql"))
    return 0


def cmd_cp(args) -> int:
    from lakelens.catalog import LakelensError, is_volume_path

    session = _session(args)
    src, dst = args.source, args.dest
    try:
        if is_volume_path(dst) and not is_volume_path(src):
            files, rel = session.catalog.open_volume(dst)
            if Path(src).is_dir() and not args.recursive:
                raise SystemExit(f"lakelens cp: {src} is a directory (use -r)")
            rel += "/" if dst.endswith("/") and rel else ""
            for p in files.put(src, rel, overwrite=args.overwrite):
                print(p)
        elif is_volume_path(src) and not is_volume_path(dst):
            files, rel = session.catalog.open_volume(src)
            for p in files.get(rel, dst, overwrite=args.overwrite):
                print(p)
        else:
            raise SystemExit("lakelens cp: exactly one of SOURCE and DEST must be a /Volumes/... path")
    except LakelensError as e:
        _print_error(e)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakelens", description="SQL-first lakehouse for multimodal data")
    parser.add_argument("--home", default=None, help="lakehouse home (default $LAKELENS_HOME or ~/.lakelens)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="override a configuration key (repeatable); spark.* keys go to Spark")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sql", help="run SQL statements")
    p.add_argument("statement", nargs="?", help="SQL text (several statements separated by ;)")
    p.add_argument("-f", "--file", help="read SQL from a script file")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(fn=cmd_sql)

    p = sub.add_parser("shell", help="interactive SQL shell")
    p.set_defaults(fn=cmd_shell)

    p = sub.add_parser("demo", help="build the demo lakehouse (catalog `demo`)")
    p.add_argument("--force", action="store_true", help="drop and rebuild catalog demo")
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("config", help="print the effective configuration and where each value came from")
    p.set_defaults(fn=cmd_config)

    p = sub.add_parser("cp", help="copy files into or out of a volume")
    p.add_argument("source")
    p.add_argument("dest")
    p.add_argument("-r", "--recursive", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(fn=cmd_cp)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
