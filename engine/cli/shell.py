"""`lakelens shell`: multi-line input ending at `;`, history, pretty tables."""

from __future__ import annotations

import sys

from lakelens.catalog import LakelensError

from lakelens.engine.cli.output import render

HELP = """Statements end with ';'. Examples:
  SHOW CATALOGS;  USE demo.media;  SHOW TABLES;  SHOW VOLUMES;
  SELECT name, size FROM demo.media.scans;
  LIST '/Volumes/demo/media/scans';
Commands: \\q quit, \\h help."""


def _complete(buffer: str) -> bool:
    from lakelens.sql import split_statements

    stripped = buffer.rstrip()
    return stripped.endswith(";") or stripped.startswith("\\") or (stripped and not split_statements(stripped))


def run_shell(session) -> int:
    interactive = sys.stdin.isatty()
    prompt_session = None
    if interactive:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        session.config.home.mkdir(parents=True, exist_ok=True)
        prompt_session = PromptSession(history=FileHistory(str(session.config.home / "shell_history")))
        print(f"lakelens shell — home {session.config.home}. \\h for help, \\q to quit.")
    buffer = ""
    while True:
        prompt = f"{session.current_catalog}.{session.current_schema}> " if not buffer else "... "
        try:
            line = prompt_session.prompt(prompt) if prompt_session else sys.stdin.readline()
        except EOFError:
            line = None
        except KeyboardInterrupt:
            buffer = ""
            continue
        if line is None or (not prompt_session and line == ""):
            if buffer.strip():
                _run(session, buffer)
            return 0
        buffer += line + ("\n" if prompt_session else "")
        if not _complete(buffer):
            continue
        text, buffer = buffer.strip(), ""
        if text in ("\\q", "\\quit", "exit;", "quit;"):
            return 0
        if text in ("\\h", "\\help", "help;"):
            print(HELP)
            continue
        _run(session, text)


def _run(session, text: str) -> None:
    try:
        for result in session.run_script(text):
            print(render(result.table))
            print(f"Time: {result.elapsed_s:.2f}s")
    except LakelensError as e:
        print(f"Error: {e}", file=sys.stderr)
