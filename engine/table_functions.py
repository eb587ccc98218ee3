"""`near_duplicates(TABLE(q), …)` and `dedup(TABLE(q), …)`: LSH banding as Spark joins, then
connected components, never an all-pairs comparison.

1. The input query runs once, with a signature column added (MinHash of text, pHash of images,
   or SimHash band codes of embeddings), and is checkpointed.
2. Each signature is cut into bands; rows that share a band value are candidate pairs (a
   self-join on (band, value)); the join's size is counted first and refused over
   `dedup.max_candidate_pairs`. The candidates are then scored: exact Jaccard of the two texts'
   character n-gram sets for MinHash (so precision is 1), 1 − Hamming/64 for pHash, cosine
   for embeddings.
3. `dedup` joins the pairs into groups (connected components by alternating large-star and
   small-star rounds, each a few Spark joins, checkpointed) and returns the input rows with
   `dup_group` and `is_representative` (the smallest id of the group).
"""

from __future__ import annotations

import math
import warnings

from lakelens.catalog import InvalidArgument, LakelensError
from lakelens.sql.plans import TableFunctionCall, UdfBinding

from lakelens.engine.config import Config
from lakelens.engine.errors import reporting
from lakelens.engine.functions import function_options, make_udf

SIG = "__lakelens_sig"
# MinHash permutations of dedup/near_duplicates by default. 64 (minhash()'s default) allows bands
# of 5 at threshold 0.8, and documents sharing only their common words then share a band: on 10M
# documents of a 40,000-word Zipf vocabulary, 28M false candidates. 128 allows bands of 7 (18 of
# them, recall 0.986 at exactly 0.8): 190k, for ~1.3x the signature time (bench/dedup_scale.py).
DEDUP_NUM_PERM = 128
HASH64 = ("simhash", "phash", "dhash", "ahash")  # 64-bit hashes compared by Hamming distance
MAX_ROUNDS = 64


def _col(name: str):
    """A column by its exact name (dots and spaces allowed: `text_stats(body).words`)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def minhash_bands(threshold: float, num_perm: int, recall: float = 0.98) -> tuple[int, int]:
    """(bands, rows per band): the longest bands (fewest false candidates) for which a pair
    whose Jaccard similarity equals `threshold` still shares a band with probability ≥ `recall`.
    Candidates are verified exactly afterwards, so false candidates cost time, never precision."""
    for r in range(num_perm, 0, -1):
        b = num_perm // r
        if 1 - (1 - threshold ** r) ** b >= recall:
            return b, r
    return num_perm, 1


def embedding_bands(threshold: float, bands: int = 0, recall: float = 0.95) -> tuple[int, int]:
    """(bands, bits per band) of random-hyperplane LSH for cosine ≥ `threshold`: the most bits
    per band (fewest false candidates) for which a pair at exactly the threshold still shares
    one of ≤ 64 bands (or the given number) with probability ≥ `recall`. One hyperplane keeps
    two vectors on the same side with probability 1 − angle/π."""
    p = 1 - math.acos(max(-1.0, min(1.0, threshold))) / math.pi
    best = (bands or 64, 1)
    for bits in range(1, 33):
        for b in ([bands] if bands else range(1, 65)):
            if 1 - (1 - p ** bits) ** b >= recall:
                best = (b, bits)
                break
    return best


def hash_bands(threshold: float, bands: int = 0, recall: float = 0.98) -> tuple[int, int]:
    """(bands, bits per band) of bit-sampling LSH over 64-bit hashes compared by Hamming
    distance: each band is `bits` bit positions drawn at random, so two hashes differing in d
    bits agree on it with probability C(64−d, bits) / C(64, bits). The most bits (fewest false
    candidates) for which a pair at exactly the threshold still agrees on one of ≤ 32 bands (or
    the given number) with probability ≥ `recall`. Contiguous bands by the pigeonhole principle
    (recall 1) made 1 in 73 of all pairs of unrelated pictures candidates at 0.9."""
    d = int(math.floor((1 - threshold) * 64 + 1e-9))
    best = (bands or 32, 1)  # nothing reaches the recall: the most candidates
    for bits in range(1, 65):
        agree = math.comb(64 - d, bits) / math.comb(64, bits)
        for b in ([bands] if bands else range(1, 33)):
            if 1 - (1 - agree) ** b >= recall:
                best = (b, bits)
                break
    return best


def _bit_masks(bands: int, bits: int, seed: int = 0x5EED) -> list[int]:
    """One signed 64-bit mask of `bits` random bit positions per band (the same every run)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    masks = []
    for _ in range(bands):
        mask = sum(1 << int(i) for i in rng.choice(64, bits, replace=False))
        masks.append(mask - (1 << 64) if mask >= 1 << 63 else mask)
    return masks


def _signature_udf(call: TableFunctionCall, on_type: str, config: Config):
    """The UDF computing the signature column, and what kind of signature it is."""
    method = call.method
    if method == "minhash":
        if on_type != "string":
            raise InvalidArgument(f"{call.function}: method 'minhash' needs a STRING column; {call.on_column} is {on_type}")
        binding = UdfBinding("ll_minhash", "minhash", (), "raise")
    elif method == "exact":
        if on_type not in ("binary", "string"):
            raise InvalidArgument(f"{call.function}: method 'exact' needs a BINARY or STRING column; "
                                  f"{call.on_column} is {on_type}")
        binding = UdfBinding("ll_content_hash", "content_hash", (), "raise")
    elif method == "simhash":
        if on_type == "bigint":
            return None, "bigint"  # already a SimHash
        if on_type != "string":
            raise InvalidArgument(f"{call.function}: method 'simhash' needs a STRING column or a BIGINT SimHash; "
                                  f"{call.on_column} is {on_type}")
        opts = tuple(sorted((k, v) for k, v in call.options.items() if k == "ngram"))
        binding = UdfBinding("ll_simhash", "simhash", opts, "raise")
    elif method in ("phash", "dhash", "ahash"):
        if on_type == "bigint":
            return None, "bigint"  # already a hash
        if on_type != "binary":
            raise InvalidArgument(f"{call.function}: method '{method}' needs image bytes (BINARY) or a BIGINT "
                                  f"{method}; {call.on_column} is {on_type}")
        binding = UdfBinding(f"ll_{method}", method, (), "raise")
    else:
        if on_type.startswith("array<"):
            return None, "vector"
        if on_type == "string":
            binding = UdfBinding("ll_embed_text", "embed_text", (), "raise")
        elif on_type == "binary":
            binding = UdfBinding("ll_embed_image", "embed_image", (), "raise")
        else:
            raise InvalidArgument(f"{call.function}: method 'embedding' needs a vector (ARRAY<FLOAT>), text or image "
                                  f"column; {call.on_column} is {on_type}")
    if binding.function in call.denied_functions:
        from lakelens.catalog import PermissionDenied

        raise PermissionDenied(f"user {call.user} lacks EXECUTE on function {binding.function} "
                               f"({call.function} with method '{method}' computes it)")
    if method == "minhash":
        return _minhash_band_udf(call), method
    return make_udf(binding, function_options(binding, config)), "bigint" if method in HASH64 else method


def _minhash_band_udf(call: TableFunctionCall):
    """The LSH band keys of each text's MinHash signature, straight from the texts: the signature
    (num_perm INTs) never leaves the Python worker, only one BIGINT a band does."""
    from pyspark.sql.functions import ArrowUDFType, arrow_udf

    from lakelens.udfs import FunctionError
    from lakelens.udfs.hashing import MinHash

    num_perm, ngram = int(call.options.get("num_perm", DEDUP_NUM_PERM)), int(call.options.get("ngram", 5))
    try:
        minhash = MinHash(num_perm, ngram)  # the function itself, with its argument checks
    except FunctionError as e:
        raise InvalidArgument(f"{call.function}: {e}") from None
    bands = int(call.options.get("bands", 0)) or minhash_bands(call.threshold, num_perm)[0]
    if not 1 <= bands <= num_perm:
        raise InvalidArgument(f"{call.function}: bands must be between 1 and num_perm ({num_perm}), got {bands}")
    rows = num_perm // bands

    def keys(texts):
        import pyarrow as pa

        from lakelens.udfs.arrays import fixed_lists
        from lakelens.udfs.hashing import minhash_band_keys

        sigs, valid = minhash.signatures(texts)
        return fixed_lists(minhash_band_keys(sigs, bands, rows), valid, pa.int64())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return arrow_udf(reporting(keys), returnType="array<bigint>", functionType=ArrowUDFType.SCALAR)


def _simhash_band_udf(function: str, bands: int, bits: int, dim_seed: int = 0x51A7):
    """Band keys of random-hyperplane (SimHash) bits: vectors with a small angle share bands. A
    key is the band's bits with the band's number above them."""
    from pyspark.sql.functions import ArrowUDFType, arrow_udf

    def codes(vectors):
        import numpy as np
        import pyarrow as pa

        from lakelens.udfs import FunctionError
        from lakelens.udfs.arrays import fixed_lists, list_matrix

        matrix, valid = list_matrix(vectors)
        if matrix is None:
            raise FunctionError(f"{function}: embedding vectors of different lengths in one column")
        planes = np.random.default_rng(dim_seed).standard_normal((matrix.shape[1], bands * bits))
        signs = (matrix.astype(np.float64) @ planes) > 0
        weights = np.left_shift(np.int64(1), np.arange(bits, dtype=np.int64))
        band_codes = (signs.reshape(len(matrix), bands, bits) * weights).sum(axis=2, dtype=np.int64)
        band_codes |= np.arange(bands, dtype=np.int64) << 32  # the band's number: codes have ≤ 32 bits
        return fixed_lists(band_codes[valid], valid, pa.int64())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return arrow_udf(reporting(codes), returnType="array<bigint>", functionType=ArrowUDFType.SCALAR)


def _library_udf(function: str):
    """A vector function of the library (vector_normalize, dot_product) as an Arrow UDF: the same
    code as in SQL, so a unit vector or a cosine means the same thing in both."""
    return make_udf(UdfBinding(f"ll_{function}", function, (), "raise"), {})


def _exact_jaccard_udf(ngram: int):
    """Exact Jaccard similarity of the two texts' character n-gram sets (the MinHash ground truth)."""
    from pyspark.sql.functions import ArrowUDFType, arrow_udf

    def exact(a, b):
        import pyarrow as pa

        from lakelens.udfs.hashing import ngram_jaccard

        return pa.array(ngram_jaccard(zip(a.to_pylist(), b.to_pylist()), ngram), pa.float64())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return arrow_udf(exact, returnType="double", functionType=ArrowUDFType.SCALAR)


def _bound_candidates(groups, call: TableFunctionCall, max_pairs: int) -> int:
    """Refuse before any pair is made when there would be more than `max_pairs` candidate pairs:
    a band key shared by c rows makes c(c−1)/2 of them (a pair counted once per band it shares),
    so a low threshold or many identical rows would otherwise turn the step quadratic (10⁵ equal
    rows, 12 bands: 6·10¹⁰ pairs). Returns how many rows the groups hold (an id counted once per
    band it shares)."""
    from pyspark.sql import functions as F

    stats = groups.agg(F.sum(F.col("n") * (F.col("n") - 1) / 2).alias("pairs"), F.max("n").alias("largest"),
                       F.sum("n").alias("members")).first()
    total, largest = int(stats["pairs"] or 0), int(stats["largest"] or 0)
    if total > max_pairs:
        hint = "group exact copies with dedup(…, method => 'exact') instead" if call.method == "exact" else \
            "raise the threshold, or drop exact copies first with dedup(…, method => 'exact')"
        raise LakelensError(
            f"{call.function}: method '{call.method}' would compare up to {total:,} candidate pairs (the largest "
            f"group of rows sharing a band value has {largest:,} rows), over dedup.max_candidate_pairs "
            f"({max_pairs:,}); {hint}", error_class="DEDUP_TOO_MANY_CANDIDATES", sqlstate="54000")
    return int(stats["members"] or 0)


def band_keys(call: TableFunctionCall, kind: str, sig):
    """ARRAY<BIGINT>, one key per LSH band of the signature column `sig`: rows sharing a key are
    candidate pairs. The band's number is hashed into its key, so one column of keys serves all
    bands and equal values of different bands never meet."""
    from pyspark.sql import functions as F

    t = call.threshold
    if kind == "exact":
        return F.array(F.xxhash64(sig))
    if kind == "bigint":
        bands = int(call.options.get("bands", 0))
        if not 0 <= bands <= 64:
            raise InvalidArgument(f"{call.function}: bands must be between 1 and 64 for method "
                                  f"'{call.method}', got {bands}")
        bands, bits = hash_bands(t, bands)
        return F.array(*[F.xxhash64(F.lit(i), sig.bitwiseAND(F.lit(mask)))
                         for i, mask in enumerate(_bit_masks(bands, bits))])
    bands = int(call.options.get("bands", 0))  # vectors: SimHash band codes of unit vectors
    if not 0 <= bands <= 64:
        raise InvalidArgument(f"{call.function}: bands must be between 1 and 64 for method 'embedding', got {bands}")
    bands, bits = embedding_bands(t, bands)
    return _simhash_band_udf(call.function, bands, bits)(sig)


# Up to this many ids are sent to every task to pick the rows a step needs (a broadcast of
# 8 bytes an id) instead of shuffling the whole input by id.
BROADCAST_IDS = 4_000_000


def _only_ids(frame, ids, count: int):
    """The rows of `frame` whose `id` is in `ids` (one column `id`)."""
    from pyspark.sql import functions as F

    return frame.join(F.broadcast(ids) if count <= BROADCAST_IDS else ids, "id", "left_semi")


def candidate_pairs(base, call: TableFunctionCall, kind: str, max_pairs: int):
    """Pairs (id_a < id_b) with similarity ≥ threshold: rows sharing a band key are candidates,
    then each candidate pair is scored exactly.

    The input is read once for the band keys and shuffled once by key (one BIGINT and the id a
    band), never with its content; only the rows of candidate pairs are read again, so memory and
    shuffle volume follow the candidates, not the corpus. For MinHash the signature column
    already holds the band keys (see `_minhash_band_udf`)."""
    from pyspark.sql import functions as F

    t = call.threshold
    if kind == "minhash":  # blank texts share one signature; they are not near-duplicates of each other
        base = base.where(_col(call.on_column).rlike(r"\S"))
    rows = base.select(_col(call.id_column).alias("id"), F.col(SIG).alias("sig")).where("sig IS NOT NULL AND id IS NOT NULL")
    if kind == "minhash":
        keys = F.col("sig")
    elif kind == "vector":
        # Unit vectors once, by the library (as Spark expressions the norm was re-evaluated for every
        # element, and again for every use of `rows`): then cosine is a dot product.
        rows = rows.select("id", _library_udf("vector_normalize")(F.col("sig")).alias("sig")) \
            .where("sig IS NOT NULL").localCheckpoint()
        keys = band_keys(call, kind, F.col("sig"))
    else:
        keys = band_keys(call, kind, F.col("sig"))
    groups = rows.select("id", F.explode(keys).alias("key")).groupBy("key") \
        .agg(F.collect_list("id").alias("ids")).select("ids", F.size("ids").alias("n")).where("n > 1") \
        .localCheckpoint()
    members = _bound_candidates(groups, call, max_pairs)
    candidates = groups.select(F.explode("ids").alias("id_a"), "ids") \
        .select("id_a", F.explode("ids").alias("id_b")).where("id_a < id_b").distinct().localCheckpoint()
    needed = candidates.select(F.col("id_a").alias("id")).union(candidates.select(F.col("id_b").alias("id"))).distinct()
    if kind == "minhash":
        # Score with the texts themselves: similarity is exact, so precision is 1.
        values = _only_ids(base.select(_col(call.id_column).alias("id"), _col(call.on_column).alias("v")),
                           needed, members).localCheckpoint()
        similarity = _exact_jaccard_udf(int(call.options.get("ngram", 5)))(F.col("sig_a"), F.col("sig_b"))
    else:
        values = _only_ids(rows.select("id", F.col("sig").alias("v")), needed, members)
        if kind == "exact":
            similarity = F.expr("CASE WHEN sig_a = sig_b THEN 1.0 ELSE 0.0 END")
        elif kind == "bigint":
            similarity = F.expr("1.0 - bit_count(sig_a ^ sig_b) / 64.0")
        else:
            similarity = _library_udf("dot_product")(F.col("sig_a"), F.col("sig_b"))
    # Sort-merge joins: Spark sizes an array or string column at a few bytes when it plans, so it
    # would broadcast 100k embedding vectors (~150 MB) as a small table and fail for memory.
    scored = candidates \
        .join(values.select(F.col("id").alias("id_a"), F.col("v").alias("sig_a")).hint("merge"), "id_a") \
        .join(values.select(F.col("id").alias("id_b"), F.col("v").alias("sig_b")).hint("merge"), "id_b") \
        .select("id_a", "id_b", similarity.cast("double").alias("similarity"))
    return scored.where(F.col("similarity") >= F.lit(t))


def _both_ways(edges):
    from pyspark.sql import functions as F

    return edges.select(F.col("a").alias("u"), F.col("b").alias("v")) \
        .union(edges.select(F.col("b").alias("u"), F.col("a").alias("v"))).where("u <> v").distinct()


def _large_star(edges):
    """Each node's larger neighbours are re-attached to the smallest of its closed neighbourhood."""
    from pyspark.sql import functions as F

    n = _both_ways(edges)
    m = n.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("m"))
    return n.join(m, "u").where("v > u").select(F.col("v").alias("a"), F.col("m").alias("b")).distinct()


def _small_star(edges):
    """Each node and its smaller neighbours are re-attached to the smallest of them."""
    from pyspark.sql import functions as F

    smaller = _both_ways(edges).where("v < u")
    m = smaller.groupBy("u").agg(F.min("v").alias("m"))
    moved = smaller.join(m, "u").where("v <> m").select(F.col("v").alias("a"), F.col("m").alias("b"))
    return moved.union(m.select(F.col("u").alias("a"), F.col("m").alias("b"))).distinct()


def connected_components(pairs):
    """(node, label) for every node with a pair: label = the smallest id of its group.

    Alternating large-star and small-star operations (Kiveris et al., "Connected Components in
    MapReduce and Beyond", 2014) turn every group into a star around its smallest node in
    O(log² n) rounds whatever the group's shape; each round is a few Spark joins, checkpointed."""
    from pyspark.sql import functions as F

    edges = pairs.select(F.col("id_a").alias("a"), F.col("id_b").alias("b")).localCheckpoint()
    for _ in range(MAX_ROUNDS):
        new = _small_star(_large_star(edges)).localCheckpoint()
        # A fixpoint of both operations is a forest of stars around each group's minimum.
        changed = new.exceptAll(edges).limit(1).count() + edges.exceptAll(new).limit(1).count()
        edges = new
        if changed == 0:
            break
    else:
        raise LakelensError(f"dedup: groups did not converge in {MAX_ROUNDS} rounds", error_class="DEDUP_NOT_CONVERGED")
    n = _both_ways(edges)
    return n.groupBy("u").agg(F.least(F.min("v"), F.first("u")).alias("label")).withColumnRenamed("u", "node")


def materialise(spark, call: TableFunctionCall, config: Config) -> None:
    """Compute the table function and expose it to the statement as temp view `call.placeholder`."""
    from pyspark.sql import functions as F

    source = spark.sql(call.input_sql)
    types = {f.name.lower(): f.dataType.simpleString() for f in source.schema.fields}
    for what, col in (("id", call.id_column), ("on", call.on_column)):
        if col.lower() not in types:
            raise InvalidArgument(f"{call.function}: {what} => {col!r} is not a column of the input "
                                  f"(columns: {', '.join(source.columns)})")
    if call.function == "dedup":
        clash = {"dup_group", "is_representative"} & set(types)
        if clash:
            raise InvalidArgument(f"dedup: the input already has column(s) {', '.join(sorted(clash))}")
    udf, kind = _signature_udf(call, types[call.on_column.lower()], config)
    signature = _col(call.on_column) if udf is None else udf(_col(call.on_column))
    if udf is not None:
        # A table from one file under 128 MB is one partition: its signatures (a model, for
        # embeddings) would use one core of all. Two files of 11 and 6 MB are two partitions, and
        # one core idled for a third of a 100k-row embedding run. Spread the rows evenly over
        # twice as many partitions as cores when there are fewer.
        cores = spark.sparkContext.defaultParallelism
        if source.rdd.getNumPartitions() < 2 * cores:
            source = source.repartition(2 * cores)
    base = source.withColumn(SIG, signature).localCheckpoint()
    ids, distinct = base.agg(F.count(_col(call.id_column)), F.countDistinct(_col(call.id_column))).first()
    if ids != distinct:
        raise InvalidArgument(f"{call.function}: id => {call.id_column!r} must identify rows, but {ids:,} rows "
                              f"have only {distinct:,} distinct values")
    max_pairs = config.number("dedup.max_candidate_pairs", 100_000_000, int, 1)
    if call.function == "near_duplicates":
        candidate_pairs(base, call, kind, max_pairs).localCheckpoint().createOrReplaceTempView(call.placeholder)
        return
    if kind == "exact":  # equal hashes are the groups already: no pairs, no rounds, no bound
        keyed = base.select(_col(call.id_column).alias("node"), F.col(SIG).alias("h")) \
            .where("h IS NOT NULL AND node IS NOT NULL")
        groups = keyed.groupBy("h").agg(F.min("node").alias("label"), F.count("*").alias("n")).where("n > 1") \
            .localCheckpoint()
        if groups.count() <= BROADCAST_IDS:
            groups = F.broadcast(groups)
        labels = keyed.join(groups, "h").select("node", "label")
    else:
        labels = connected_components(candidate_pairs(base, call, kind, max_pairs).select("id_a", "id_b"))
    labels = labels.select(F.col("node").alias("__node"), F.col("label").alias("__label")).localCheckpoint()
    if labels.count() <= BROADCAST_IDS:  # only rows with a duplicate have a label: join without moving the input
        labels = F.broadcast(labels)
    id_type = types[call.id_column.lower()]
    rep = F.coalesce(F.col("__label"), _col(call.id_column))
    group = rep.cast("bigint") if id_type in ("tinyint", "smallint", "int", "bigint") else F.xxhash64(rep)
    result = base.drop(SIG).join(labels, _col(call.id_column) == F.col("__node"), "left") \
        .withColumn("dup_group", group) \
        .withColumn("is_representative", _col(call.id_column) == rep) \
        .drop("__node", "__label")
    result.createOrReplaceTempView(call.placeholder)
