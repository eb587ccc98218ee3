"""Extract and filter functions on real generated media: OCR, speech, PDFs, audio, video."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lakelens.udfs import FunctionError, evaluate

from ..media import (SENTENCES, bad_inputs, cer, speak_wav, text_image, tone_wav, video, wer, with_audio_track,
                     write_text_pdf)


def call(name, *values, on_error="raise", **options):
    return evaluate(name, options, on_error, *[pa.array(v) for v in values]).to_pylist()


@pytest.mark.parametrize("variant", [{}, {"rotate": 3}, {"noise": 0.15}, {"blur": 1.2}, {"fmt": "JPEG", "noise": 0.08}],
                         ids=["clean", "rotated", "noisy", "blurred", "jpeg"])
def test_ocr_character_error_rate(variant):
    images = [text_image(s, seed=i, **variant) for i, s in enumerate(SENTENCES)]
    out = call("ocr", images)
    rates = [cer(ref, hyp) for ref, hyp in zip(SENTENCES, out)]
    assert sum(rates) / len(rates) <= 0.05, list(zip(out, rates))


def test_ocr_words_have_boxes_and_confidences():
    words = call("ocr_words", [text_image("INVOICE 2041 TOTAL")])[0]
    assert [w["text"] for w in words] == ["INVOICE", "2041", "TOTAL"]
    assert all(w["conf"] > 50 and w["w"] > 0 and w["h"] > 0 for w in words)
    assert words[0]["x"] < words[1]["x"] < words[2]["x"]


def test_ocr_language_that_is_not_installed_is_a_clear_error():
    with pytest.raises(FunctionError, match=r"ocr: Tesseract language 'xyz' is not installed \(installed: .*eng"):
        call("ocr", [text_image("HI")], lang="xyz")


def test_transcribe_word_error_rate_on_espeak_speech(tmp_path):
    spoken = ["the cat sat on the mat", "please send the report by friday", "open the window and turn on the light",
              "the weather is sunny and warm today", "hello from the lakehouse"]
    clips = []
    for i, text in enumerate(spoken):
        speak_wav(text, tmp_path / f"{i}.wav")
        clips.append((tmp_path / f"{i}.wav").read_bytes())
    out = call("transcribe", clips)
    rates = [wer(ref, hyp) for ref, hyp in zip(spoken, out)]
    assert sum(rates) / len(rates) <= 0.15, list(zip(out, rates))
    segments = call("transcribe_segments", clips[:1])[0]
    assert segments and segments[0]["start"] == 0.0 and segments[-1]["end"] > 1.0
    assert wer(spoken[0], " ".join(s["text"] for s in segments)) == pytest.approx(rates[0])


def test_transcribe_with_the_base_model_joined_from_its_two_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    speak_wav("please send the report by friday", tmp_path / "s.wav")
    out = call("transcribe", [(tmp_path / "s.wav").read_bytes()], model="base")
    assert wer("please send the report by friday", out[0]) <= 0.2, out
    assert (tmp_path / "cache" / "lakelens" / "whisper-base" / "model.bin").stat().st_size > 100_000_000


def test_transcribe_accepts_video_containers_and_english_only_model_refuses_other_languages(tmp_path):
    speak_wav("open the window and turn on the light", tmp_path / "s.wav")
    movie = with_audio_track((tmp_path / "s.wav").read_bytes())
    assert call("video_info", [movie])[0]["width"] == 64
    assert wer("open the window and turn on the light", call("transcribe", [movie])[0]) <= 0.15
    with pytest.raises(FunctionError, match="English-only"):
        call("transcribe", [movie], language="de")
    with pytest.raises(FunctionError, match="English-only"):  # a setup mistake, not a bad row
        call("transcribe", [movie], on_error="null", language="de")


def test_pdf_text_reads_the_text_layer(tmp_path):
    write_text_pdf("Quarterly report: revenue grew by ten percent.", tmp_path / "a.pdf")
    assert call("pdf_text", [(tmp_path / "a.pdf").read_bytes(), None]) == [
        "Quarterly report: revenue grew by ten percent.", None]


def test_image_info_thumbnail_and_quality():
    img = text_image("SHARP TEXT", size=40)
    info = call("image_info", [img])[0]
    assert info["format"] == "PNG" and info["mode"] == "RGB" and info["width"] > info["height"]
    thumb = call("thumbnail", [img], px=64)[0]
    small = call("image_info", [thumb])[0]
    assert small["format"] == "PNG" and max(small["width"], small["height"]) == 64
    sharp, blurred = call("image_quality", [img, text_image("SHARP TEXT", size=40, blur=3)])
    assert sharp["sharpness"] > 5 * blurred["sharpness"]
    assert 0.8 < sharp["brightness"] <= 1.0 and sharp["contrast"] > 0.1


def test_audio_info_and_quality():
    wav = tone_wav(1.0, rate=16000, amplitude=0.5, silence_s=1.0)
    assert call("audio_info", [wav]) == [{"format": "wav", "duration_s": 2.0, "sample_rate": 16000, "channels": 1}]
    quiet_half, clipped = call("audio_quality", [wav, tone_wav(1.0, amplitude=1.5)])
    assert quiet_half["silence_ratio"] == pytest.approx(0.5, abs=0.02)
    assert quiet_half["rms_db"] == pytest.approx(-12.0, abs=0.5)  # sine at 0.5 over half the time
    assert clipped["clipping_ratio"] > 0.3 and quiet_half["clipping_ratio"] == 0.0


def test_video_info_and_frames():
    clip = video(seconds=3.0, fps=10)
    assert call("video_info", [clip]) == [{"duration_s": 3.0, "fps": 10.0, "width": 160, "height": 120}]
    frames = call("video_frames", [clip], every_s=1.0)[0]
    assert len(frames) == 3
    from PIL import Image
    import io

    colours = [Image.open(io.BytesIO(f)).convert("RGB").getpixel((80, 60)) for f in frames]
    assert colours[0][0] > 150 and colours[1][1] > 150 and colours[2][2] > 150  # red, green, blue seconds


MEDIA = {
    "ocr": lambda tmp: text_image("HI"),
    "image_info": lambda tmp: text_image("HI"),
    "phash": lambda tmp: text_image("HI"),
    "thumbnail": lambda tmp: text_image("HI"),
    "audio_info": lambda tmp: tone_wav(0.5),
    "audio_quality": lambda tmp: tone_wav(0.5),
    "video_info": lambda tmp: video(1.0),
    "pdf_text": lambda tmp: (write_text_pdf("x", tmp / "x.pdf"), (tmp / "x.pdf").read_bytes())[1],
}


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_bad_media_fails_with_the_function_name_and_try_form_returns_null(name, tmp_path):
    good = MEDIA[name](tmp_path)
    streamable = name.startswith("audio_")
    for kind, data in bad_inputs(good, streamable=streamable).items():
        with pytest.raises(FunctionError) as err:
            call(name, [data])
        assert str(err.value).startswith(f"{name}: ") and f"{len(data)} bytes" in str(err.value), (kind, str(err.value))
    bad = list(bad_inputs(good, streamable=streamable).values())
    out = call(name, [good, *bad, None], on_error="null")
    assert out[0] is not None and out[1:] == [None] * (len(bad) + 1)
