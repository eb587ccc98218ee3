"""The multimodal function library: one spec per function, declared beside its implementation.

This package imports nothing else of lakelens (docs/architecture.md): `sql/` reads the specs to rewrite
calls, `engine/` runs the implementations (Spark Arrow UDFs, Ray actors).
Implementations import their heavy libraries (torch, faster-whisper, …) only when a model is
loaded, so reading the specs is cheap.
"""

from . import (audio_video, document, documents, embed, hashing, image, image_ops, media,  # noqa: F401  (registers)
               text, text_clean, text_signals)
from .runtime import arrow_type, evaluate, instance, load_count
from .spec import FUNCTIONS, KINDS, FunctionError, FunctionSpec, Param, lookup

__all__ = ["FUNCTIONS", "KINDS", "FunctionError", "FunctionSpec", "Param", "arrow_type", "evaluate", "instance",
           "load_count", "lookup"]
