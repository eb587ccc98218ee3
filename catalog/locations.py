"""Storage locations: where external volumes and tables may live, and links that leave them.

An external location must be an absolute directory (or an `s3://bucket/prefix`, checked the
same way by key prefix) that overlaps (contains, or lies inside)
neither the warehouse, the lakelens home, nor another object's storage — so no table can be
attached to another's files and no volume can expose the metastore. A remote principal may
only use directories under the server's `storage.external_roots` (Unity Catalog's external
locations); a local principal is trusted with their own disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .errors import InvalidArgument, PermissionDenied
from .storage import is_object_store, normalize, url_within
from .volumes import GLOB_CHARS


def real(path: str | os.PathLike) -> Path:
    """An absolute path with symlinks resolved (the path need not exist)."""
    return Path(os.path.abspath(os.path.expanduser(str(path)))).resolve()


def canonical(location: str | os.PathLike) -> str:
    """A location as stored and compared: `s3://bucket/key`, or a local path with links resolved."""
    return normalize(str(location)) if is_object_store(location) else str(real(location))


def within(path: str | os.PathLike, root: str | os.PathLike) -> bool:
    """Whether `path` is `root` or lies under it, after resolving symlinks (by key prefix for
    object-store URLs; a URL is never within a local directory, nor the other way round)."""
    if is_object_store(path) or is_object_store(root):
        return is_object_store(path) and is_object_store(root) and url_within(str(path), str(root))
    p, r = real(path), real(root)
    return p == r or r in p.parents


def overlaps(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    return within(a, b) or within(b, a)


def check_external_location(location: str, *, remote: bool, allowed_roots: Iterable[str],
                            protected: Iterable[tuple[str, str | os.PathLike]],
                            others: Iterable[tuple[str, str]]) -> Path | str:
    """The resolved directory (or canonical `s3://` prefix) for an external volume or table at
    `location`, or an error. `within`/`overlaps` compare URLs by key prefix and never match a
    URL against a local path, so one set of rules serves both.

    `protected`: (what, path) pairs no location may overlap (the warehouse, the home);
    `others`: (object name, location) of every other object with storage."""
    if is_object_store(location):
        path = shown = normalize(location)
        if path.count("/") < 3:
            raise InvalidArgument(f"an external location needs a prefix inside its bucket, not the whole bucket: "
                                  f"{path!r}")
    else:
        if not location or not Path(os.path.expanduser(location)).is_absolute():
            raise InvalidArgument(f"an external location must be an absolute path: {location!r}")
        if GLOB_CHARS.search(location):
            raise InvalidArgument(f"an external location may not contain glob characters * ? [ ] {{ }}: {location!r}")
        path, shown = real(location), location
        if path.exists() and not path.is_dir():
            raise InvalidArgument(f"external location is not a directory: {location!r}")
    roots = [str(r) for r in allowed_roots]
    if remote and not any(within(path, root) for root in roots):
        hint = (f"allowed roots: {', '.join(roots)}" if roots else
                "no external roots are configured (an administrator sets storage.external_roots)")
        raise PermissionDenied(f"location {shown!r} is not under an external location the server allows; {hint}")
    for what, p in protected:
        if overlaps(path, p):
            raise PermissionDenied(f"location {shown!r} overlaps {what}; choose a directory of its own")
    for name, other in others:
        if other and overlaps(path, other):
            raise PermissionDenied(f"location {shown!r} overlaps the storage of {name}; "
                                   "every object needs a directory of its own")
    return path


def escaping_link(root: str | os.PathLike) -> str | None:
    """The first symbolic link under `root` (relative path) that leads outside it, or None.

    Spark's file listing follows links, so a volume whose tree holds one would read (and
    REMOVE … RECURSIVE would reach) files outside it."""
    base = real(root)
    stack = [base]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            if entry.is_symlink():
                target = real(entry.path)
                if target != base and base not in target.parents:
                    return os.path.relpath(entry.path, base)
            elif entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
    return None
