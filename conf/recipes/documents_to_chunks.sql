-- recipe: documents_to_chunks
-- Documents → text (OCR for scanned PDF pages) → clean → quality filter → near-duplicate
-- removal → chunks → embeddings: a retrieval-ready table from a volume of PDFs, Office files,
-- web pages and e-books.
-- param: source = demo.media.docs        the volume (or any query's table) with path and content
-- param: target = main.default.doc_chunks  the table to create (replaced if it exists)
-- param: min_words = 5                    documents with fewer words are dropped
-- param: chunk_chars = 400                longest chunk in characters
-- param: overlap = 80                     characters shared by consecutive chunks
CREATE OR REPLACE TABLE ${target} AS
SELECT d.path, c.chunk_index, c.chunk, embed_text(c.chunk) AS embedding
FROM dedup(TABLE(
       SELECT path, text
       FROM (SELECT path,
                    remove_boilerplate(normalize_whitespace(fix_text(try_document_text(content)))) AS text
             FROM ${source}) docs
       WHERE text IS NOT NULL AND word_count(text) >= ${min_words} AND alnum_ratio(text) > 0.5),
     id => 'path', on => 'text', method => 'minhash') d
LATERAL VIEW posexplode(chunk_text(d.text, max_chars => ${chunk_chars}, overlap => ${overlap})) c AS chunk_index, chunk
WHERE d.is_representative
