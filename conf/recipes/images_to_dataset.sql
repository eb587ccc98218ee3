-- recipe: images_to_dataset
-- Images → size, sharpness and NSFW filters → perceptual dedup → OCR text → embeddings: an
-- image training set with one row per distinct, usable picture. The embedding is of the OCR
-- text (offline model); with CLIP weights configured (udf.clip.weights) use embed_image(content).
-- param: source = demo.media.photos        the volume of images
-- param: target = main.default.image_set   the table to create (replaced if it exists)
-- param: min_side = 64                     smallest accepted width and height in pixels
-- param: min_sharpness = 0.001             variance of the Laplacian below this is blurry
-- param: max_nsfw = 0.5                    highest accepted NSFW score
CREATE OR REPLACE TABLE ${target} AS
SELECT path, width, height, phash, text, embed_text(text) AS text_embedding, thumbnail
FROM (SELECT path, width, height, phash, ocr(content) AS text, thumbnail(content, 128) AS thumbnail
      FROM dedup(TABLE(
             SELECT path, content, info.width AS width, info.height AS height, phash(content) AS phash
             FROM (SELECT path, content, try_image_info(content) AS info FROM ${source}) images
             WHERE info IS NOT NULL AND info.width >= ${min_side} AND info.height >= ${min_side}
               AND image_quality(content).sharpness >= ${min_sharpness}
               AND nsfw_score(content) <= ${max_nsfw}),
           id => 'path', on => 'phash', method => 'phash')
      WHERE is_representative) kept
