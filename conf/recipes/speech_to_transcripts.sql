-- recipe: speech_to_transcripts
-- Speech → voice-activity filter → spoken-language filter → transcription → dedup: one clean
-- transcript per distinct recording in the chosen language.
-- param: source = demo.media.recordings   the volume of audio (or video) files
-- param: target = main.default.transcripts  the table to create (replaced if it exists)
-- param: language = en                     keep recordings in this spoken language (ISO 639-1)
-- param: min_speech_ratio = 0.2            drop recordings with less voice activity than this
CREATE OR REPLACE TABLE ${target} AS
SELECT path, duration_s, language, transcript
FROM dedup(TABLE(
       SELECT path, audio_info(content).duration_s AS duration_s, language, transcribe(content) AS transcript
       FROM (SELECT path, content, spoken_language(content).language AS language
             FROM ${source}
             WHERE try_speech_ratio(content) >= ${min_speech_ratio}) voiced
       WHERE language = '${language}'),
     id => 'path', on => 'transcript', method => 'minhash')
WHERE is_representative
