"""Real media the tests generate: text rendered into images, speech from espeak-ng, videos, PDFs."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from lakelens.engine.cli.demo import picture, speak_wav, write_text_pdf  # noqa: F401  (re-exported for tests)
from lakelens.engine.cli.demo import resized_copy as variant  # noqa: F401
from lakelens.engine.cli.demo import video_with_audio

SENTENCES = [
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "INVOICE 2041 TOTAL 318 EUR DUE FRIDAY",
    "SHIP THE GATEWAY BEFORE THE END OF MAY",
    "LAKEHOUSE TABLES KEEP EVERY VERSION",
]


def text_image(text: str, *, rotate: float = 0.0, noise: float = 0.0, blur: float = 0.0, size: int = 44,
               fmt: str = "PNG", seed: int = 0) -> bytes:
    font = ImageFont.load_default(size=size)
    width = int(font.getlength(text)) + 80
    img = Image.new("L", (width, size * 3), 255)
    ImageDraw.Draw(img).text((40, size), text, fill=0, font=font)
    if rotate:
        img = img.rotate(rotate, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(img, dtype=np.float64) + rng.normal(0, noise * 255, size=img.size[::-1])
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    img.convert("RGB").save(out, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def video(seconds: float = 3.0, fps: int = 10, size: tuple[int, int] = (160, 120), fmt: str = "mp4") -> bytes:
    """An H.264 (or MPEG-4) video whose frame colour changes every second, with PyAV."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        colors = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 30)]
        for i in range(int(seconds * fps)):
            frame = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            frame[:, :] = colors[(i // fps) % len(colors)]
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def tone_wav(seconds: float = 1.0, rate: int = 16000, amplitude: float = 0.5, silence_s: float = 0.0) -> bytes:
    """A 440 Hz sine (then `silence_s` of silence) as 16-bit PCM WAV."""
    import wave

    t = np.arange(int(seconds * rate)) / rate
    samples = amplitude * np.sin(2 * np.pi * 440 * t)
    samples = np.concatenate([samples, np.zeros(int(silence_s * rate))])
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def edit_distance(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    return edit_distance(ref, hyp) / max(len(ref), 1)


def wer(reference: str, hypothesis: str) -> float:
    norm = lambda s: "".join(ch.lower() if ch.isalnum() or ch.isspace() else " " for ch in s).split()  # noqa: E731
    ref, hyp = norm(reference), norm(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def bad_inputs(good: bytes, *, streamable: bool = False) -> dict[str, bytes]:
    """Inputs every media function must reject with a clear message (NULL in its try_ form).

    A PCM WAV cut short is still valid (shorter) audio: for such `streamable` formats only a cut
    inside the header counts as truncated."""
    bad = {
        "empty": b"",
        "text": b"this is plain text, not media",
        "header_only": good[:30],
        "random": bytes(random.Random(7).randrange(256) for _ in range(2048)),
    }
    if not streamable:
        bad["truncated"] = good[: len(good) * 2 // 5]
    return bad


def with_audio_track(wav: bytes, fmt: str = "matroska") -> bytes:
    """A video file (black 64×48 frames) whose audio track is `wav`, re-encoded as AAC."""
    black = np.zeros((48, 64, 3), dtype=np.uint8)
    return video_with_audio(lambda _: black, (64, 48), wav, fmt=fmt)
