"""Files of a volume on object storage (`s3://bucket/prefix`), with `VolumeFiles`' interface.

Object stores have keys, not directories: a "directory" is a common prefix (or an empty
`dir/` marker object that `mkdir` writes), there are no links to escape through and no
rename. So:

* paths are checked lexically only (volumes.parse_volume_path and `physical` below refuse
  `..`, `.` and empty parts), and names starting with `.lakelens-` are lakelens' own and
  refused (Spark's file listing skips names starting with `.` as well);
* an upload is atomic because S3 makes an object visible only when its (multipart) upload
  completes; a streamed upload (the Files API, RESTORE) whose sender may stop half-way is
  written under the hidden `.lakelens-uploads/` prefix first and copied into place on the
  server when it ends cleanly, so a broken upload never shows a partial object;
* kept versions (the recycle bin) are server-side copies under the volume's hidden
  `.lakelens-versions/` prefix: same bucket, same credentials, no bytes through lakelens,
  and they go with the volume when it is purged.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import Callable

from .errors import AlreadyExists, InvalidArgument, InvalidPath, NotFound
from .model import ObjectInfo
from .storage import FileStat, Storage, file_stat, join, normalize
from .volumes import GLOB_CHARS, FileEntry

HIDDEN_PREFIX = ".lakelens-"
VERSIONS_DIR = ".lakelens-versions"
UPLOADS_DIR = ".lakelens-uploads"
CHUNK = 8 << 20
SMALL_OBJECT = 16 << 20  # read into memory before its upload starts (16 uploads run at once)
MAX_SERVER_COPY = 5 << 30  # S3's CopyObject limit


class ObjectVolumeFiles:
    """File operations inside one volume stored on S3-compatible object storage."""

    def __init__(self, info: ObjectInfo, storage: Storage,
                 keep: Callable[["ObjectVolumeFiles", str, str], None] | None = None):
        if info.kind != "VOLUME" or not info.location:
            raise InvalidArgument(f"{info.full_name} is not a volume")
        self.info = info
        self.storage = storage
        self.root = normalize(info.location)
        self._keep = keep
        self.fs, self._base = storage.filesystem(self.root)

    # ------------------------------------------------------------------ paths
    @property
    def versions_root(self) -> str:
        return join(self.root, VERSIONS_DIR)

    def physical(self, rel: str) -> str:
        """The key (`bucket/prefix/rel`) of a path inside the volume; lexically checked."""
        parts = [p for p in PurePosixPath(rel or "").parts if p != "/"] if rel else []
        if rel.startswith("/") or any(p in ("..", ".") for p in parts) or "\\" in rel or "\x00" in rel \
                or GLOB_CHARS.search(rel):
            raise InvalidPath(f"path escapes volume {self.info.volume_path}: {rel!r}")
        if any(p.startswith(HIDDEN_PREFIX) for p in parts):
            raise InvalidPath(f"{self.info.volume_path}/{rel}: names starting with {HIDDEN_PREFIX!r} are reserved")
        return "/".join([self._base, *parts])

    def location_of(self, rel: str) -> str:
        """The URL of a path of the volume (what Spark reads)."""
        self.physical(rel)
        return join(self.root, rel) if rel.strip("/") else self.root

    def _rel(self, key: str) -> str:
        return key[len(self._base):].strip("/")

    def user_path(self, key: str) -> str:
        rel = self._rel(key)
        return f"{self.info.volume_path}/{rel}" if rel else self.info.volume_path

    def _error(self, rel: str, e: OSError, doing: str):
        return self.storage.error(self.location_of(rel) if rel else self.root, e, doing)

    # ------------------------------------------------------------------ looking
    def _info(self, key: str):
        from pyarrow import fs

        try:
            info = self.fs.get_file_info(key)
        except OSError as e:
            raise self._error(self._rel(key), e, "read") from None
        return None if info.type == fs.FileType.NotFound else info

    def stat(self, rel: str) -> FileStat | None:
        if not rel.strip("/"):
            return FileStat(0, 0.0, True)  # the volume's root is there even before its first object
        info = self._info(self.physical(rel))
        return None if info is None else file_stat(info)

    def is_dir(self, rel: str) -> bool:
        if not rel.strip("/"):
            return True  # the volume's root always is
        st = self.stat(rel.rstrip("/"))
        return st is not None and st.is_dir

    def _entry(self, info) -> FileEntry:
        from datetime import datetime, timezone

        from pyarrow import fs

        is_dir = info.type == fs.FileType.Directory
        name = posixpath.basename(info.path.rstrip("/"))
        mtime = info.mtime or datetime.fromtimestamp(0, tz=timezone.utc)
        return FileEntry(self.user_path(info.path) + ("/" if is_dir else ""), name + ("/" if is_dir else ""),
                         0 if is_dir else (info.size or 0), mtime.astimezone(timezone.utc), is_dir)

    def _walk(self, key: str, recursive: bool):
        from pyarrow import fs

        try:
            infos = self.fs.get_file_info(fs.FileSelector(key, recursive=recursive, allow_not_found=True))
        except OSError as e:
            raise self._error(self._rel(key), e, "list") from None
        base = len(self._base)
        return [i for i in infos if _listable(i.path[base:].strip("/"))]

    def list(self, rel: str = "") -> list[FileEntry]:
        """Immediate children of a directory (or the file itself), like Databricks `LIST`:
        one ListObjectsV2 request per 1,000 keys, never one per object."""
        key = self.physical(rel.rstrip("/"))
        if rel.strip("/"):
            info = self._info(key)
            if info is None:
                raise NotFound("path", f"{self.info.volume_path}/{rel}".rstrip("/"))
            from pyarrow import fs

            if info.type == fs.FileType.File:
                return [self._entry(info)]
        out = [self._entry(i) for i in self._walk(key, recursive=False)]
        out.sort(key=lambda f: f.path)
        return out

    def _no_file_above(self, key: str) -> None:
        """Refuse to put something under a path whose parent is a file (an object store would
        let `a` and `a/b` both exist; a file system, and LIST, cannot)."""
        from pyarrow import fs

        for ancestor in _ancestors(key, self._base):
            info = self._info(ancestor)
            if info is not None and info.type == fs.FileType.File:
                raise AlreadyExists("path", self.user_path(ancestor), "a file has that name")

    def _files_under(self, key: str):
        from pyarrow import fs

        return sorted((i for i in self._walk(key, recursive=True) if i.type == fs.FileType.File),
                      key=lambda i: i.path)

    # ------------------------------------------------------------------ keeping versions
    def keep(self, key: str, reason: str) -> None:
        """Hand a file about to be replaced or removed to the catalog's keeper."""
        if self._keep is not None:
            info = self._info(key)
            from pyarrow import fs

            if info is not None and info.type == fs.FileType.File:
                self._keep(self, self._rel(key), reason)

    def preserve(self, rel: str, dest: str) -> FileStat:
        """Copy a file of the volume to `dest` (a URL in this volume's bucket), on the server."""
        st = self.stat(rel)
        if st is None or st.is_dir:
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        dfs, dkey = self.storage.filesystem(dest)
        try:
            if dfs is self.fs and st.size <= MAX_SERVER_COPY:
                self.fs.copy_file(self.physical(rel), dkey)
            else:  # another store, or past CopyObject's 5 GiB: through this process
                _copy_between(self.fs, self.physical(rel), dfs, dkey)
        except OSError as e:
            raise self._error(rel, e, "copy") from None
        return st

    # ------------------------------------------------------------------ writing
    def _upload(self, source: str | os.PathLike, key: str) -> None:
        """Upload a local file so that no partial object ever shows at `key`: closing a pyarrow
        S3 stream completes its upload, even on an exception (there is no abort). A small file
        is read whole first, then written in one PutObject; a larger one is staged under the
        hidden uploads prefix and copied into place on the server."""
        size = os.path.getsize(source)
        if size <= SMALL_OBJECT:
            data = Path(source).read_bytes()  # a failing read never opens the object
            with self.fs.open_output_stream(key) as out:
                out.write(data)
            return
        staged = f"{self._base}/{UPLOADS_DIR}/{uuid.uuid4().hex}"
        try:
            with open(source, "rb") as src, self.fs.open_output_stream(staged) as out:
                shutil.copyfileobj(src, out, CHUNK)
            self._place(staged, key, size)
        finally:
            _delete_quietly(self.fs, staged)

    def _place(self, staged: str, key: str, size: int) -> None:
        """Copy a complete staged object to `key` on the server (CopyObject is atomic), or past
        its 5 GiB limit through this process (then an interruption could leave a partial
        object: see docs/operations.md)."""
        if size <= MAX_SERVER_COPY:
            self.fs.copy_file(staged, key)
        else:
            _copy_between(self.fs, staged, self.fs, key)

    def put(self, local: str | os.PathLike, rel: str, *, overwrite: bool = False) -> list[str]:
        """Upload a local file or directory tree into the volume; returns the volume paths written."""
        src = Path(local).expanduser()
        if not src.exists():
            raise NotFound("path", str(src))
        into_dir = rel == "" or rel.endswith("/")
        rel = rel.rstrip("/")
        contents_only = src.is_dir() and str(local).endswith("/")
        if (into_dir or (rel and self.is_dir(rel))) and not contents_only:
            rel = f"{rel}/{src.name}".lstrip("/")
        pairs = [(src, rel)] if src.is_file() else [
            (f, f"{rel}/{f.relative_to(src).as_posix()}".lstrip("/")) for f in sorted(src.rglob("*")) if f.is_file()]
        keys = [self.physical(r) for _, r in pairs]
        if keys:
            self._no_file_above(keys[0])  # the target directory and what leads to it
        if not overwrite and len(keys) > 1:
            # One listing of the target directory (1 request per 1,000 keys), not a HEAD and a
            # LIST per file.
            top = self.physical(rel)
            listed = self._walk(top, recursive=True)
            there = {i.path for i in listed} | {top}
            from pyarrow import fs

            files_there = {i.path for i in listed if i.type == fs.FileType.File}
            clash = next((k for k in keys if k in there or any(a in files_there for a in _ancestors(k, top))),
                         None)
            if clash is not None:
                raise AlreadyExists("path", self.user_path(clash), "use OVERWRITE to replace it")
        elif not overwrite and keys and self._info(keys[0]) is not None:
            raise AlreadyExists("path", self.user_path(keys[0]), "use OVERWRITE to replace it")

        def upload(pair) -> str:
            source, key = pair
            if overwrite:
                self.keep(key, "OVERWRITTEN")
            try:
                self._upload(source, key)  # a multipart upload shows the object only once complete
            except OSError as e:
                raise self._error(self._rel(key), e, "write") from None
            return self.user_path(key)

        # Object stores answer many requests at once far better than one after another.
        return _parallel(upload, [(source, key) for (source, _), key in zip(pairs, keys)])

    def get(self, rel: str, local: str | os.PathLike, *, overwrite: bool = False) -> list[str]:
        """Download a file or directory of the volume to a local path; returns local paths."""
        key = self.physical(rel.rstrip("/"))
        info = self._info(key) if rel.strip("/") else None
        from pyarrow import fs

        if rel.strip("/") and info is None:
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        dest = Path(local).expanduser()
        name = posixpath.basename(key)
        if dest.is_dir():
            dest = dest / name
        if info is not None and info.type == fs.FileType.File:
            pairs = [(key, dest)]
        else:
            pairs = [(i.path, dest / i.path[len(key):].strip("/")) for i in self._files_under(key)]
        out = []
        for k, d in pairs:
            if d.exists() and not overwrite:
                raise AlreadyExists("path", str(d), "use OVERWRITE to replace it")
            d.parent.mkdir(parents=True, exist_ok=True)
            tmp = d.with_name(f".{d.name}.lakelens-tmp")
            try:
                with self.fs.open_input_stream(k) as src, open(tmp, "wb") as out_f:
                    shutil.copyfileobj(src, out_f, CHUNK)
            except OSError as e:
                tmp.unlink(missing_ok=True)
                raise self._error(self._rel(k), e, "read") from None
            os.replace(tmp, d)
            out.append(str(d))
        return out

    def remove(self, rel: str, *, recursive: bool = False) -> int:
        """Remove a file (or, with `recursive`, a directory); returns how many files went."""
        if not rel.strip("/"):
            raise InvalidPath(f"refusing to remove the root of volume {self.info.volume_path}; use DROP VOLUME")
        key = self.physical(rel.rstrip("/"))
        info = self._info(key)
        if info is None:
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        from pyarrow import fs

        try:
            if info.type == fs.FileType.Directory:
                if not recursive:
                    raise InvalidArgument(f"{self.info.volume_path}/{rel} is a directory; use REMOVE ... RECURSIVE")
                doomed = self._files_under(key)
                for f in doomed:
                    self.keep(f.path, "REMOVED")
                self.storage.rmtree(self.location_of(rel.rstrip("/")))
                return len(doomed)
            self.keep(key, "REMOVED")
            self.fs.delete_file(key)
        except OSError as e:
            raise self._error(rel, e, "remove") from None
        return 1

    # ------------------------------------------------------------------ streaming (the Files API)
    def open_read(self, rel: str):
        """An open, seekable file of the volume and its FileStat; the caller closes it."""
        key = self.physical(rel)
        info = self._info(key)
        if info is None:
            raise NotFound("path", f"{self.info.volume_path}/{rel}".rstrip("/"))
        st = file_stat(info)
        if st.is_dir:
            raise InvalidArgument(f"{self.info.volume_path}/{rel} is a directory")
        try:
            return self.fs.open_input_file(key), st
        except OSError as e:
            raise self._error(rel, e, "read") from None

    class Writer:
        """`open_write`'s context manager: bytes go to a hidden upload object, copied into
        place on the server when the block ends cleanly and deleted otherwise."""

        def __init__(self, files: "ObjectVolumeFiles", key: str, overwrite: bool):
            self.files, self.key, self.overwrite = files, key, overwrite
            self.size = 0
            self._tmp = f"{files._base}/{UPLOADS_DIR}/{uuid.uuid4().hex}"
            self._out = None

        @property
        def path(self) -> str:
            return self.files.user_path(self.key)

        def __enter__(self) -> "ObjectVolumeFiles.Writer":
            self._out = self.files.fs.open_output_stream(self._tmp)
            return self

        def write(self, chunk) -> None:
            self._out.write(chunk)
            self.size += len(chunk)

        def __exit__(self, exc_type, exc, tb) -> None:
            try:
                try:
                    self._out.close()  # completes the hidden staged object, even on an error
                except OSError as e:
                    if exc_type is not None:
                        return  # the caller's error is the one to see
                    raise self.files._error(self.files._rel(self.key), e, "write") from None
                if exc_type is not None:
                    return
                if not self.overwrite and self.files._info(self.key) is not None:
                    raise AlreadyExists("path", self.path, "use overwrite to replace it")
                if self.overwrite:
                    self.files.keep(self.key, "OVERWRITTEN")
                try:
                    self.files._place(self._tmp, self.key, self.size)
                except OSError as e:
                    raise self.files._error(self.files._rel(self.key), e, "write") from None
            finally:
                _delete_quietly(self.files.fs, self._tmp)

    def open_write(self, rel: str, *, overwrite: bool = False) -> "ObjectVolumeFiles.Writer":
        """A writer for a file of the volume (see `Writer`); refuses an existing file unless
        `overwrite` (checked now and again when the upload ends)."""
        if not rel.strip("/"):
            raise InvalidPath(f"a file path inside {self.info.volume_path} is required")
        key = self.physical(rel.rstrip("/"))
        st = self.stat(rel.rstrip("/"))
        if st is not None and st.is_dir:
            raise InvalidArgument(f"{self.user_path(key)} is a directory")
        if st is not None and not overwrite:
            raise AlreadyExists("path", self.user_path(key), "use overwrite to replace it")
        self._no_file_above(key)
        return ObjectVolumeFiles.Writer(self, key, overwrite)

    def mkdir(self, rel: str) -> str:
        """Create a directory (an empty `dir/` marker object); an existing one is fine."""
        key = self.physical(rel.rstrip("/"))
        st = self.stat(rel.rstrip("/")) if rel.strip("/") else None
        if st is not None and not st.is_dir:
            raise AlreadyExists("path", self.user_path(key), "a file has that name")
        if st is None and rel.strip("/"):
            self._no_file_above(key)
            try:
                self.fs.create_dir(key, recursive=True)
            except OSError as e:
                raise self._error(rel, e, "write") from None
        return self.user_path(key)

    def rmdir(self, rel: str) -> None:
        """Remove an empty directory (not the volume's root)."""
        if not rel.strip("/"):
            raise InvalidPath(f"refusing to remove the root of volume {self.info.volume_path}; use DROP VOLUME")
        key = self.physical(rel.rstrip("/"))
        st = self.stat(rel.rstrip("/"))
        if st is None:
            raise NotFound("path", f"{self.info.volume_path}/{rel}".rstrip("/"))
        if not st.is_dir:
            raise InvalidArgument(f"{self.user_path(key)} is not a directory")
        if self._walk(key, recursive=False):
            raise InvalidArgument(f"{self.user_path(key)} is not empty", error_class="DIRECTORY_NOT_EMPTY",
                                  sqlstate="2BP01")
        try:
            self.fs.delete_dir(key)
        except OSError as e:
            raise self._error(rel, e, "remove") from None

    def delete_file(self, rel: str) -> None:
        """Remove one file (never a directory)."""
        if not rel.strip("/"):
            raise InvalidPath(f"a file path inside {self.info.volume_path} is required")
        st = self.stat(rel)
        if st is None:
            raise NotFound("path", f"{self.info.volume_path}/{rel}")
        if st.is_dir:
            raise InvalidArgument(f"{self.info.volume_path}/{rel} is a directory")
        key = self.physical(rel)
        self.keep(key, "REMOVED")
        try:
            self.fs.delete_file(key)
        except OSError as e:
            raise self._error(rel, e, "remove") from None


def _parallel(fn, items: list, threads: int = 16) -> list:
    """`[fn(x) for x in items]` on up to `threads` threads (requests wait on the network, and
    pyarrow releases the GIL); the first error is raised."""
    if len(items) < 2:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(fn, items))


def _ancestors(key: str, base: str) -> list[str]:
    """The keys strictly between `base` and `key` (`base/a`, `base/a/b` for `base/a/b/c`)."""
    parts = key[len(base):].strip("/").split("/")[:-1]
    return ["/".join([base, *parts[:i]]) for i in range(1, len(parts) + 1)]


def _listable(rel: str) -> bool:
    """A key (relative to the volume) lakelens shows: none of its parts is lakelens' own, empty,
    `.` or `..` (another tool may write such keys; `GET` would otherwise write outside its
    destination)."""
    return not any(p.startswith(HIDDEN_PREFIX) or p in ("", ".", "..") for p in rel.split("/"))


def _delete_quietly(filesystem, key: str) -> None:
    try:
        filesystem.delete_file(key)
    except OSError:
        pass  # never there, or gone: a leftover under the hidden uploads prefix is harmless


def _copy_between(src_fs, src: str, dst_fs, dst: str) -> None:
    with src_fs.open_input_stream(src) as i, dst_fs.open_output_stream(dst) as o:
        shutil.copyfileobj(i, o, CHUNK)
