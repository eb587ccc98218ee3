"""Function specs: what the SQL layer and the engine know about a multimodal function.

A spec is declared beside its implementation with the `function` decorator (as Daft's UDF
classes and Ray Data's `map_batches` classes declare their resources beside the class):

    @function("ocr", params=[Param("image", "binary"), Param("lang", "string", literal=True, default="eng")],
              returns="string", kind="extract", modality="image", model="Tesseract (Debian tesseract-ocr)")
    class Ocr:
        def __init__(self, lang): ...            # loads the model: once per worker process
        def __call__(self, images: pa.Array) -> pa.Array: ...

Arguments marked `literal` are options: the SQL call must pass a constant, which is folded into
the binding (one registered UDF per distinct set of options); the other arguments are columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = ("extract", "clean", "filter", "dedup", "embed")
REQUIRED = object()


class FunctionError(Exception):
    """Bad input for a function: the message names the function and the reason.

    The plain form of a function fails the statement with it; the `try_` twin returns NULL
    for that row instead."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # SQL type as users read it: binary, string, int, double, bigint, array<int>, …
    literal: bool = False
    default: Any = REQUIRED
    doc: str = ""

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple[Param, ...]
    returns: str  # Spark DDL of the result type
    kind: str  # extract | clean | filter | dedup | embed
    modality: str  # image | audio | video | document | text | any
    description: str
    example: str
    impl: type = field(repr=False, compare=False)
    device: str = "cpu"  # cpu | gpu: GPU-class functions want a long-lived model on an accelerator
    batch_size: int = 256  # rows handed to the model at once
    model: str | None = None  # which model, and where its weights come from
    reads_media: bool = False  # decodes files: has a try_ twin
    config: tuple[tuple[str, str, str], ...] = ()  # (key under udf.<config_prefix>., default, meaning)
    config_prefix: str | None = None  # shared configuration (e.g. both CLIP functions use udf.clip.*)

    @property
    def columns(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.literal)

    @property
    def options(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.literal)

    @property
    def config_scope(self) -> str:
        return self.config_prefix or self.name

    def signature(self) -> str:
        """`ocr(image BINARY [, lang STRING]) → STRING`"""
        text = ", ".join(f"{p.name} {p.type.upper()}" for p in self.params if not p.optional)
        for p in self.params:
            if p.optional:
                text += f" [, {p.name} {p.type.upper()}]" if text else f"[{p.name} {p.type.upper()}]"
        return f"{self.name}({text}) → {_TYPE_WORDS.sub(lambda m: m.group(0).upper(), self.returns)}"


_TYPE_WORDS = re.compile(r"\b(string|binary|int|bigint|double|float|boolean|array|struct)\b")
FUNCTIONS: dict[str, FunctionSpec] = {}


def function(name: str, *, params: list[Param], returns: str, kind: str, modality: str, description: str,
             example: str, device: str = "cpu", batch_size: int = 256, model: str | None = None,
             reads_media: bool = False, config: list[tuple[str, str, str]] = (), config_prefix: str | None = None):
    """Declare a function: registers its spec with the implementing class."""
    if kind not in KINDS:
        raise ValueError(f"{name}: kind must be one of {KINDS}")

    def register(cls):
        FUNCTIONS[name] = FunctionSpec(
            name=name, params=tuple(params), returns=returns, kind=kind, modality=modality,
            description=description, example=example, impl=cls, device=device, batch_size=batch_size,
            model=model, reads_media=reads_media, config=tuple(config), config_prefix=config_prefix)
        cls.spec_name = name
        return cls

    return register


def lookup(name: str) -> tuple[FunctionSpec, bool] | None:
    """The spec a SQL function name refers to, and whether it is the `try_` twin."""
    name = name.lower()
    if name in FUNCTIONS:
        return FUNCTIONS[name], False
    if name.startswith("try_") and name[4:] in FUNCTIONS and FUNCTIONS[name[4:]].reads_media:
        return FUNCTIONS[name[4:]], True
    return None
