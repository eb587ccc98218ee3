"""Accuracy of the extracting and classifying functions on generated media with known truth.

    python bench/quality.py [--lines 30] [--sentences 50] [--recordings 8] [--videos 8]

Every input is made here, so the truth is known exactly; each function is called through the
library (`lakelens.udfs.evaluate`, the code Spark's workers run), since accuracy does not depend
on the SQL path (bench/functions.py measures that path's speed). One table, one JSON:

- `ocr` (Tesseract, and `engine => 'rapidocr'`): character error rate of rendered lines of
  English prose (sentences from the standard library's docstrings) clean, rotated by ±5°, ±10°
  and ±15°, with Gaussian noise, blurred, and as a low-quality JPEG; rapidocr also on Chinese
  lines (Faker's zh_CN word list, rendered with WenQuanYi Micro Hei from Debian's
  fonts-wqy-microhei, which `make setup` installs). rapidocr's Latin output drops spaces, so its
  Latin CER is over the text without spaces (the Chinese has none).
- `detect_language` and `language_scores` top-1: accuracy over texts of 3 and of 10 words drawn
  from Faker's word lists of 24 languages (words, not grammar: a lower bound for real sentences).
- `vad_segments`: espeak-ng utterances joined by planted silences of 0.4–1.5 s; the truth is
  where each utterance's samples first and last exceed 1% of full scale. Reported: the share of
  boundaries found within 100 ms, the mean error, and utterances found as exactly one segment.
  The function pads segments by 0.05 s by design; that padding is part of the error. Measured
  in silence and with white noise 20 dB below the speech's RMS (SNR 20 dB) under everything.
- `video_scenes`: videos of 5–9 shots of random length (0.6–2.5 s) with a moving shape and
  sensor noise; a cut counts as found within one sampling interval (0.2 s). Precision and recall
  of cuts.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import report  # noqa: E402
from bench.dedup import stdlib_sentences  # noqa: E402
from tests.media import cer, text_image  # noqa: E402

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
# Faker locale -> the ISO 639-1 code langid answers.
LANGUAGES = {"ar_AA": "ar", "az_AZ": "az", "bn_BD": "bn", "cs_CZ": "cs", "da_DK": "da", "de_DE": "de", "el_GR": "el",
             "en_US": "en", "es_ES": "es", "fa_IR": "fa", "fr_FR": "fr", "he_IL": "he", "hy_AM": "hy", "it_IT": "it",
             "ja_JP": "ja", "mk_MK": "mk", "nl_NL": "nl", "pl_PL": "pl", "ru_RU": "ru", "th_TH": "th", "tl_PH": "tl",
             "uk_UA": "uk", "vi_VN": "vi", "zh_CN": "zh"}


def call(name: str, values: list, *extra: list, **options) -> list:
    import pyarrow as pa

    from lakelens.udfs import evaluate

    return evaluate(name, options, "null", pa.array(values), *[pa.array(e) for e in extra]).to_pylist()


def row(function: str, condition: str, items: int, metric: str, value: float) -> dict:
    return {"function": function, "condition": condition, "items": items, "metric": metric, "value": round(value, 4)}


def mean_cer(truth: list[str], found: list, squeeze: bool = False) -> float:
    strip = (lambda s: "".join((s or "").split())) if squeeze else (lambda s: s or "")  # noqa: E731
    return float(np.mean([cer(strip(t), strip(f)) for t, f in zip(truth, found)]))


def chinese_image(text: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(CJK_FONT, 40)
    img = Image.new("RGB", (int(font.getlength(text)) + 80, 120), "white")
    ImageDraw.Draw(img).text((40, 40), text, fill="black", font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def bench_ocr(lines: int, rng: random.Random) -> list[dict]:
    from faker import Faker

    truth = [" ".join(s.split()[:8]).rstrip(".,;:") for s in rng.sample(stdlib_sentences(), lines)]
    conditions = {"clean": {}, "rotated 5°": {"rotate": 5}, "rotated -10°": {"rotate": -10},
                  "rotated 15°": {"rotate": 15}, "rotated -15°": {"rotate": -15}, "noise σ=0.2": {"noise": 0.2},
                  "blur r=1.5": {"blur": 1.5}, "JPEG q85": {"fmt": "JPEG"}}
    out = []
    for condition, how in conditions.items():
        images = [text_image(t, seed=i, **how) for i, t in enumerate(truth)]
        out.append(row("ocr", condition, lines, "CER", mean_cer(truth, call("ocr", images))))
        print(out[-1], flush=True)
    images = [text_image(t) for t in truth]
    out.append(row("ocr rapidocr", "clean, spaces ignored", lines, "CER",
                   mean_cer(truth, call("ocr", images, engine="rapidocr"), squeeze=True)))
    print(out[-1], flush=True)
    if Path(CJK_FONT).exists():
        fake = Faker("zh_CN")
        fake.seed_instance(rng.randrange(1 << 30))
        chinese = ["".join(fake.words(6)) for _ in range(lines)]
        out.append(row("ocr rapidocr", "Chinese, clean", lines, "CER",
                       mean_cer(chinese, call("ocr", [chinese_image(t) for t in chinese], engine="rapidocr"),
                                squeeze=True)))
    else:
        print(f"skipped Chinese OCR: {CJK_FONT} missing (apt-get install fonts-wqy-microhei)")
    return out


def bench_languages(per_language: int, rng: random.Random) -> list[dict]:
    from faker import Faker

    fakers = {}
    for locale in LANGUAGES:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(rng.randrange(1 << 30))
    out = []
    for words in (3, 10):
        texts, truth = [], []
        for locale, code in LANGUAGES.items():
            for _ in range(per_language):
                texts.append(("" if code in ("ja", "zh", "th") else " ").join(fakers[locale].words(words)))
                truth.append(code)
        ranked = call("language_scores", texts, k=1)
        for name, found in (("detect_language", call("detect_language", texts)),
                            ("language_scores top-1", [r[0]["language"] if r else None for r in ranked])):
            correct = np.array([f == t for f, t in zip(found, truth)])
            by_language = {c: float(correct[[t == c for t in truth]].mean()) for c in LANGUAGES.values()}
            out.append(row(name, f"{len(LANGUAGES)} languages, {words} words", len(texts), "accuracy",
                           float(correct.mean())))
            print(out[-1], "weakest:", sorted(by_language.items(), key=lambda kv: kv[1])[:3], flush=True)
    return out


def bench_vad(recordings: int, rng: random.Random, tmp: Path) -> list[dict]:
    from lakelens.udfs.audio_video import _samples, wav_bytes

    espeak = shutil.which("espeak-ng")
    sentences = stdlib_sentences()
    made = []  # (samples, [(start, end) of each utterance])
    for r in range(recordings):
        pieces, bounds = [np.zeros(int(16000 * rng.uniform(0.4, 1.5)))], []
        t = len(pieces[0]) / 16000
        for u in range(rng.randrange(3, 6)):
            path = tmp / f"vad{r}_{u}.wav"
            words = " ".join(rng.choice(sentences).split()[:rng.randrange(3, 9)])
            subprocess.run([espeak, "-w", str(path), "-v", "en-us", "-s", "150", words], check=True, capture_output=True)
            voice, _ = _samples(path.read_bytes(), "bench", 16000)
            loud = np.flatnonzero(np.abs(voice) > 0.01)
            voice = voice[loud[0]:loud[-1] + 1]  # the utterance exactly, without espeak's own silence
            bounds.append((t, t + len(voice) / 16000))
            gap = np.zeros(int(16000 * rng.uniform(0.4, 1.5)))
            pieces += [voice, gap]
            t += (len(voice) + len(gap)) / 16000
        made.append((np.concatenate(pieces), bounds))
    out = []
    nrng = np.random.default_rng(5)
    for condition, snr in (("silence", None), ("noise, SNR 20 dB", 20.0)):
        audio = []
        for samples, bounds in made:
            if snr is not None:
                voiced = np.concatenate([samples[int(a * 16000):int(b * 16000)] for a, b in bounds])
                level = np.sqrt(np.mean(voiced ** 2)) * 10 ** (-snr / 20)
                samples = samples + nrng.normal(0, level, len(samples)).astype(samples.dtype)
            audio.append(wav_bytes(samples, 16000))
        errors, exact, utterances, within = [], 0, 0, 0
        for segments, (_, bounds) in zip(call("vad_segments", audio), made):
            for start, end in bounds:
                utterances += 1
                overlapping = [s for s in segments if s["end"] > start and s["start"] < end]
                exact += len(overlapping) == 1
                for truth, found in ((start, overlapping and overlapping[0]["start"]),
                                     (end, overlapping and overlapping[-1]["end"])):
                    if overlapping:
                        errors.append(abs(found - truth))
                        within += abs(found - truth) <= 0.1
        missed = 2 * utterances - len(errors)
        out += [row("vad_segments", f"{condition}: boundaries within 100 ms", 2 * utterances, "share",
                    within / (2 * utterances)),
                row("vad_segments", f"{condition}: boundary error", len(errors), "mean ms",
                    1000 * float(np.mean(errors)) if errors else float("nan")),
                row("vad_segments", f"{condition}: utterance = one segment", utterances, "share", exact / utterances)]
        print(out[-3:], f"missed utterances: {missed // 2}", flush=True)
    return out


def scene_video(rng: random.Random, fps: int = 25) -> tuple[bytes, list[float]]:
    import av

    shots, cuts, t = rng.randrange(5, 10), [], 0.0
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        nrng = np.random.default_rng(rng.randrange(1 << 30))
        for shot in range(shots):
            frames = int(rng.uniform(0.6, 2.5) * fps)
            if shot:
                cuts.append(round(t, 3))
            background = nrng.integers(0, 256, 3)
            shape = nrng.integers(0, 256, 3)
            for f in range(frames):
                frame = np.empty((120, 160, 3), dtype=np.int16)
                frame[:] = background
                x = (10 + 3 * f) % 130
                frame[40:70, x:x + 30] = shape  # something moves within the shot
                frame += nrng.integers(-12, 13, frame.shape, dtype=np.int16)  # sensor noise
                video_frame = av.VideoFrame.from_ndarray(np.clip(frame, 0, 255).astype(np.uint8), format="rgb24")
                for packet in stream.encode(video_frame):
                    container.mux(packet)
            t += frames / fps
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue(), cuts


def bench_scenes(videos: int, rng: random.Random) -> list[dict]:
    made = [scene_video(rng) for _ in range(videos)]
    found = call("video_scenes", [v for v, _ in made])
    hits = truth_n = found_n = 0
    errors = []
    for (_, cuts), scenes in zip(made, found):
        got = [s["start"] for s in scenes][1:]
        truth_n, found_n = truth_n + len(cuts), found_n + len(got)
        for c in cuts:
            near = [g for g in got if abs(g - c) <= 0.2 + 1e-6]
            hits += bool(near)
            if near:
                errors.append(min(abs(g - c) for g in near))
    return [row("video_scenes", "cuts found within 0.2 s", truth_n, "recall", hits / truth_n),
            row("video_scenes", "cuts reported", found_n, "precision", hits / max(found_n, 1)),
            row("video_scenes", "cut time error", len(errors), "mean ms", 1000 * float(np.mean(errors)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=30)
    ap.add_argument("--sentences", type=int, default=50, help="per language")
    ap.add_argument("--recordings", type=int, default=8)
    ap.add_argument("--videos", type=int, default=8)
    args = ap.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench_ocr(args.lines, rng) + bench_languages(args.sentences, rng) \
            + bench_vad(args.recordings, rng, Path(tmp)) + bench_scenes(args.videos, rng)
    report("quality", rows)


if __name__ == "__main__":
    main()
