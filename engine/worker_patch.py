"""A fix applied inside Spark's Python workers (Python < 3.12).

Before every task a PySpark worker calls `importlib.invalidate_caches()`, and Python 3.11's
zipimporter answers that by re-reading the whole directory of every zip on `sys.path` in pure
Python. Spark puts its 3.5 MB `pyspark.zip` on the workers' path, so each task of any Python
UDF paid ~350 ms here (measured with py-spy: 93 % of worker time), even in a reused worker.
Python 3.12 made that call lazy; on 3.11 we re-read an archive only when its file changed.
"""

from __future__ import annotations

import os
import sys

_installed = False


def install() -> None:
    global _installed
    if _installed or sys.version_info >= (3, 12):
        return
    import zipimport

    original = zipimport.zipimporter.invalidate_caches

    def invalidate_caches(self):
        try:
            st = os.stat(self.archive)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp is not None and getattr(self, "_lakelens_stamp", None) == stamp:
            return
        original(self)
        self._lakelens_stamp = stamp

    zipimport.zipimporter.invalidate_caches = invalidate_caches
    _installed = True
