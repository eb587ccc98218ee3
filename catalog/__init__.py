"""The unified catalog: metastore, securables, storage locations and volume files.

This package imports nothing else of lakelens but the base error, `lakelens.errors`
(docs/architecture.md, "Layers").
"""

from .errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidPath,
    LakelensError,
    NotEmpty,
    NotFound,
    PermissionDenied,
    Unsupported,
)
from .principals import AccessPolicy, Principal
from .metastore import Catalog, matches_like
from .model import (
    EXTERNAL,
    FORMATS,
    MANAGED,
    TABLE,
    VIEW,
    VOLUME,
    CatalogInfo,
    Column,
    ObjectInfo,
    SchemaInfo,
)
from .volumes import VolumeFiles, VolumePath, is_volume_path, parse_volume_path

__all__ = [
    "AlreadyExists", "Catalog", "CatalogInfo", "Column", "EXTERNAL", "FORMATS", "InvalidArgument",
    "InvalidPath", "LakelensError", "MANAGED", "NotEmpty", "NotFound", "ObjectInfo", "PermissionDenied", "Principal", "AccessPolicy", "SchemaInfo",
    "TABLE", "Unsupported", "VIEW", "VOLUME", "VolumeFiles", "VolumePath", "is_volume_path",
    "matches_like", "parse_volume_path",
]
