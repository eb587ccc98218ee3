"""Files in volumes: `/Volumes/<catalog>/<schema>/<volume>/<path>` mapped to storage, safely.

Every user-supplied path is checked twice: lexically (no `..`, no empty or `.` parts, no
backslashes or NUL) and physically (after following symlinks it must still lie under the
volume's root), so neither `../../etc/passwd` nor a symlink planted in an external volume
can reach outside it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

from .errors import AlreadyExists, InvalidArgument, InvalidPath, NotFound
from .model import ObjectInfo
from .storage import FileStat

VOLUMES_ROOT = "/Volumes"
# Characters Hadoop's path globbing expands: never in a path lakelens hands to Spark.
GLOB_CHARS = re.compile(r"[*?\[\]{}]")


@dataclass(frozen=True)
class VolumePath:
    """A parsed `/Volumes/c/s/v/rel` path (names lower-cased, `rel` without leading slash)."""

    catalog: str
    schema: str
    volume: str
    rel: str

    @property
    def volume_root(self) -> str:
        return f"{VOLUMES_ROOT}/{self.catalog}/{self.schema}/{self.volume}"

    def __str__(self) -> str:
        return f"{self.volume_root}/{self.rel}" if self.rel else self.volume_root


def is_volume_path(text: str) -> bool:
    return text.startswith(VOLUMES_ROOT + "/") or text.startswith("dbfs:" + VOLUMES_ROOT + "/")


def parse_volume_path(text: str) -> VolumePath:
    raw = text[len("dbfs:"):] if text.startswith("dbfs:") else text
    if "\x00" in raw or "\\" in raw:
        raise InvalidPath(f"invalid characters in volume path {text!r}")
    if not raw.startswith(VOLUMES_ROOT + "/"):
        raise InvalidPath(f"not a volume path: {text!r} (expected /Volumes/<catalog>/<schema>/<volume>/...)")
    parts = raw[len(VOLUMES_ROOT) + 1:].split("/")
    # A trailing slash is harmless ("/Volumes/c/s/v/dir/"); anything else empty is not.
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if len(parts) < 3:
        raise InvalidPath(f"volume path {text!r} must name /Volumes/<catalog>/<schema>/<volume>")
    for p in parts:
        if p in ("", ".", ".."):
            raise InvalidPath(f"volume path {text!r} may not contain empty, '.' or '..' components")
    if GLOB_CHARS.search(raw):
        # Spark expands globs in the paths it is given ({../..} walks out of the volume).
        raise InvalidPath(f"volume path {text!r} may not contain glob characters * ? [ ] {{ }}; "
                          "read_files(…, glob => '*.png') filters names")
    cat, sch, vol = (p.lower() for p in parts[:3])
    return VolumePath(cat, sch, vol, "/".join(parts[3:]))


@dataclass(frozen=True)
class FileEntry:
    path: str  # /Volumes/... path (directories end with '/')
    name: str
    size: int
    modification_time: datetime
    is_dir: bool


class VolumeFiles:
    """File operations inside one volume.

    `keep(files, rel, reason)`, when given, is called before a file is replaced
    ("OVERWRITTEN") or removed ("REMOVED"), so its content can be kept as a prior version
    (the catalog's recycle bin, which calls `preserve` back). catalog/object_volumes.py is
    the same interface over object storage."""

    versions_root = None  # kept versions go to the catalog's recycle directory

    def __init__(self, info: ObjectInfo, keep: Callable[["VolumeFiles", str, str], None] | None = None):
        if info.kind != "VOLUME" or not info.location:
            raise InvalidArgument(f"{info.full_name} is not a volume")
        self.info = info
        self.root = Path(info.location).resolve()
        self._keep = keep

    def keep(self, physical: Path, reason: str) -> None:
        """Hand a regular file about to be replaced or removed to `keep` (symlinks are not kept)."""
        if self._keep is not None and physical.is_file() and not physical.is_symlink():
            self._keep(self, physical.relative_to(self.root).as_posix(), reason)

    def preserve(self, rel: str, dest: str) -> FileStat:
        """Keep a file's current content at `dest`: a hard link (the same inode, so the rename
        that follows cannot change it), or a copy across file systems."""
        physical = self.physical(rel)
        st = physical.stat()
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(physical, dest)
        except OSError:
            shutil.copyfile(physical, dest)
        return FileStat(st.st_size, st.st_mtime)

    def stat(self, rel: str) -> FileStat | None:
        """Size and time of a file or directory of the volume; None when nothing is there."""
        try:
            st = self.physical(rel.rstrip("/")).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return FileStat(st.st_size, st.st_mtime, stat.S_ISDIR(st.st_mode))

    def location_of(self, rel: str) -> str:
        """The local path of a path of the volume (what Spark reads)."""
        return str(self.physical(rel))

    def physical(self, rel: str) -> Path:
        rel_path = PurePosixPath(rel) if rel else PurePosixPath()
        if rel_path.is_absolute() or any(p in ("..", ".") for p in rel_path.parts) or GLOB_CHARS.search(rel):
            raise InvalidPath(f"path escapes volume {self.info.volume_path}: {rel!r}")
        candidate = self.root.joinpath(*rel_path.parts)
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise InvalidPath(
                f"path {self.info.volume_path}/{rel} resolves outside its volume (symbolic link?)")
        return candidate

    def user_path(self, physical: Path) -> str:
        rel = physical.relative_to(self.root).as_posix()
        return self.info.volume_path if rel == "." else f"{self.info.volume_path}/{rel}"

    def _entry(self, p: Path, st: os.stat_result | None = None) -> FileEntry:
        st = st or p.stat()
        is_dir = p.is_dir()
        up = self.user_path(p)
        return FileEntry(up + ("/" if is_dir else ""), p.name + ("/" if is_dir else ""),
                         0 if is_dir else st.st_size,
                         datetime.fromtimestamp(st.st_mtime, tz=timezone.utc), is_dir)

    def list(self, rel: str = "") -> list[FileEntry]:
        """Immediate children of a directory (or the file itself), like Databricks `LIST`."""
        target = self.physical(rel)
        if not target.exists():
            raise NotFound("path", f"{self.info.volume_path}/{rel}".rstrip("/"))
        if target.is_file():
            return [self._entry(target)]
        out = []
        with os.scandir(target) as it:
            for e in it:
                p = Path(e.path)
                if e.name.startswith(".") and e.name.endswith(".lakelens-tmp"):
                    continue  # an upload in progress
                if e.is_symlink():
                    try:
                        self.physical(p.relative_to(self.root).as_posix())
                    except InvalidPath:
                        continue  # never show what points outside
                try:
                    out.append(self._entry(p, e.stat()))
                except OSError:
                    continue  # a dangling link, or gone since the scan
        out.sort(key=lambda f: f.path)
        return out

    def put(self, local: str | os.PathLike, rel: str, *, overwrite: bool = False) -> list[str]:
        """Copy a local file or directory tree into the volume; returns the volume paths written."""
        src = Path(local).expanduser()
        if not src.exists():
            raise NotFound("path", str(src))
        into_dir = rel == "" or rel.endswith("/")
        rel = rel.rstrip("/")
        dest = self.physical(rel)
        # Like rsync: a source directory given with a trailing slash copies its contents.
        contents_only = src.is_dir() and str(local).endswith("/")
        if (into_dir or dest.is_dir()) and not contents_only:
            dest = self.physical(f"{rel}/{src.name}".lstrip("/"))
        written: list[str] = []
        pairs = [(src, dest)] if src.is_file() else [
            (f, dest / f.relative_to(src)) for f in sorted(src.rglob("*")) if f.is_file()]
        for s, d in pairs:
            self.physical(d.relative_to(self.root).as_posix())  # re-check every nested path
            if d.exists() and not overwrite:
                raise AlreadyExists("path", self.user_path(d), "use OVERWRITE to replace it")
        for s, d in pairs:
            d.parent.mkdir(parents=True, exist_ok=True)
            tmp = d.with_name(f".{d.name}.lakelens-tmp")
            shutil.copyfile(s, tmp)
            self.keep(d, "OVERWRITTEN")
            os.replace(tmp, d)  # readers never see a half-written file
            written.append(self.user_path(d))
        return written

    def get(self, rel: str, local: str | os.PathLike, *, overwrite: bool = False) -> list[str]:
        """Copy a file or directory out of the volume to a local path; returns local paths."""
        src = self.physical(rel)
        if not src.exists():
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        dest = Path(local).expanduser()
        if dest.is_dir():
            dest = dest / src.name
        pairs = [(src, dest)] if src.is_file() else [
            (f, dest / f.relative_to(src)) for f in sorted(src.rglob("*")) if f.is_file()]
        out = []
        for s, d in pairs:
            self.physical(s.relative_to(self.root).as_posix())
            if d.exists() and not overwrite:
                raise AlreadyExists("path", str(d), "use OVERWRITE to replace it")
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s, d)
            out.append(str(d))
        return out

    def remove(self, rel: str, *, recursive: bool = False) -> int:
        """Remove a file (or, with `recursive`, a directory); returns how many files went."""
        if not rel:
            raise InvalidPath(f"refusing to remove the root of volume {self.info.volume_path}; use DROP VOLUME")
        rel_path = PurePosixPath(rel.rstrip("/"))
        parent = self.physical(str(rel_path.parent) if str(rel_path.parent) != "." else "")
        link = parent / rel_path.name
        if link.is_symlink():  # the link itself goes, never what it points at (even outside)
            link.unlink()
            return 1
        target = self.physical(rel)
        if not target.exists() and not target.is_symlink():
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        if target.is_dir() and not target.is_symlink():
            if not recursive:
                raise InvalidArgument(
                    f"{self.info.volume_path}/{rel} is a directory; use REMOVE ... RECURSIVE")
            doomed = [f for f in target.rglob("*") if f.is_file()]
            for f in doomed:
                self.keep(f, "REMOVED")
            shutil.rmtree(target)
            return len(doomed)
        self.keep(target, "REMOVED")
        target.unlink()
        return 1

    # ------------------------------------------------------------------ streaming (the Files API)
    def existing(self, rel: str) -> Path:
        """The physical path of something that exists in the volume (NotFound otherwise)."""
        target = self.physical(rel)
        if not target.exists():
            raise NotFound("path", f"{self.info.volume_path}/{rel}".rstrip("/"))
        return target

    def open_read(self, rel: str):
        """An open binary file of the volume and its `os.stat_result`; the caller closes it.
        The file opened is the one `physical` checked (symlinks already resolved inside)."""
        target = self.existing(rel)
        if target.is_dir():
            raise InvalidArgument(f"{self.info.volume_path}/{rel} is a directory")
        f = open(target.resolve(), "rb")
        try:
            return f, os.fstat(f.fileno())
        except BaseException:
            f.close()
            raise

    class Writer:
        """`open_write`'s context manager: `write(chunk)`, then the rename on a clean exit."""

        def __init__(self, files: "VolumeFiles", target: Path, overwrite: bool):
            self.files, self.target, self.overwrite = files, target, overwrite
            self.size = 0
            self._tmp: Path | None = None
            self._f = None

        @property
        def path(self) -> str:
            return self.files.user_path(self.target)

        def __enter__(self) -> "VolumeFiles.Writer":
            import tempfile

            self.files.mkdir(self.target.parent.relative_to(self.files.root).as_posix())
            fd, tmp = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".lakelens-tmp")
            self._tmp, self._f = Path(tmp), os.fdopen(fd, "wb")
            return self

        def write(self, chunk) -> None:
            self._f.write(chunk)
            self.size += len(chunk)

        def __exit__(self, exc_type, exc, tb) -> None:
            try:
                self._f.close()
                if exc_type is not None:
                    return
                # Checked again: the target's directory may have changed while bytes arrived.
                self.files.physical(self.target.relative_to(self.files.root).as_posix())
                if self.overwrite:
                    self.files.keep(self.target, "OVERWRITTEN")
                    os.replace(self._tmp, self.target)
                else:
                    try:
                        os.link(self._tmp, self.target)  # atomic, and never replaces a file
                    except FileExistsError:
                        raise AlreadyExists("path", self.path, "use overwrite to replace it") from None
                    except OSError:  # a file system without hard links: check, then rename
                        if self.target.exists() or self.target.is_symlink():
                            raise AlreadyExists("path", self.path, "use overwrite to replace it") from None
                        os.replace(self._tmp, self.target)
            finally:
                if self._tmp is not None:
                    self._tmp.unlink(missing_ok=True)

    def open_write(self, rel: str, *, overwrite: bool = False) -> "VolumeFiles.Writer":
        """A writer for a file of the volume: bytes go to a hidden temporary file next to the
        target, renamed into place when the `with` block ends cleanly and removed otherwise,
        so readers never see a partial file. Parent directories are created. Refuses an
        existing file unless `overwrite` (checked now and again at the rename)."""
        if not rel.strip("/"):
            raise InvalidPath(f"a file path inside {self.info.volume_path} is required")
        target = self.physical(rel.rstrip("/"))
        if target.is_dir():
            raise InvalidArgument(f"{self.user_path(target)} is a directory")
        if (target.exists() or target.is_symlink()) and not overwrite:
            raise AlreadyExists("path", self.user_path(target), "use overwrite to replace it")
        return VolumeFiles.Writer(self, target, overwrite)

    def mkdir(self, rel: str) -> str:
        """Create a directory and its parents (an existing directory is fine); its volume path."""
        target = self.physical(rel.rstrip("/"))
        if target.exists() and not target.is_dir():
            raise AlreadyExists("path", self.user_path(target), "a file has that name")
        for parent in reversed([target, *target.parents]):
            if parent == self.root or self.root not in parent.parents:
                continue
            self.physical(parent.relative_to(self.root).as_posix())  # no symlink out on the way
            try:
                parent.mkdir()
            except FileExistsError:
                if not parent.is_dir():
                    raise AlreadyExists("path", self.user_path(parent), "a file has that name") from None
        return self.user_path(target)

    def rmdir(self, rel: str) -> None:
        """Remove an empty directory (not the volume's root)."""
        if not rel.strip("/"):
            raise InvalidPath(f"refusing to remove the root of volume {self.info.volume_path}; use DROP VOLUME")
        target = self.existing(rel.rstrip("/"))
        if target.is_symlink() or not target.is_dir():
            raise InvalidArgument(f"{self.user_path(target)} is not a directory")
        try:
            target.rmdir()
        except OSError:
            if any(target.iterdir()):
                raise InvalidArgument(f"{self.user_path(target)} is not empty", error_class="DIRECTORY_NOT_EMPTY",
                                      sqlstate="2BP01") from None
            raise

    def delete_file(self, rel: str) -> None:
        """Remove one file (never a directory)."""
        if not rel.strip("/"):
            raise InvalidPath(f"a file path inside {self.info.volume_path} is required")
        target = self.physical(rel)
        if not target.exists() and not target.is_symlink():
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        if target.is_dir() and not target.is_symlink():
            raise InvalidArgument(f"{self.user_path(target)} is a directory")
        self.keep(target, "REMOVED")
        target.unlink()
