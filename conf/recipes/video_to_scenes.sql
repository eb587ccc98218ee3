-- recipe: video_to_scenes
-- Video → scenes → a key frame per scene → the key frame's on-screen text (OCR) and what is
-- said during the scene (transcript): one searchable row per shot.
-- param: source = demo.media.clips          the volume of videos
-- param: target = main.default.video_scenes  the table to create (replaced if it exists)
-- param: every_s = 0.5                       sampling interval for key frames, in seconds
CREATE OR REPLACE TABLE ${target} AS
WITH clips AS (SELECT path, content FROM ${source}),
scenes AS (SELECT path, s.start, s.end FROM clips LATERAL VIEW inline(video_scenes(content)) s),
frames AS (SELECT path, pos * ${every_s} AS t, frame
           FROM clips LATERAL VIEW posexplode(video_frames(content, ${every_s})) f AS pos, frame),
keyframes AS (SELECT s.path, s.start, s.end, min_by(f.frame, f.t) AS keyframe
              FROM scenes s JOIN frames f ON f.path = s.path AND f.t >= s.start AND f.t < s.end
              GROUP BY s.path, s.start, s.end),
speech AS (SELECT path, seg.start, seg.end, seg.text
           FROM clips LATERAL VIEW inline(transcribe_segments(video_audio(content))) seg)
SELECT k.path, k.start, k.end, ocr(k.keyframe) AS screen_text,
       concat_ws(' ', collect_list(sp.text)) AS transcript, thumbnail(k.keyframe, 160) AS thumbnail
FROM keyframes k LEFT JOIN speech sp ON sp.path = k.path AND sp.start < k.end AND sp.end > k.start
GROUP BY k.path, k.start, k.end, k.keyframe
