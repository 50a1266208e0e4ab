"""casualty-etl: news and humanitarian reports in, validated casualty figures out.

The engine is plain Python (no Prefect): ``sources`` -> ``normalise`` -> ``extract`` ->
``tables``/``validate`` -> ``lake`` -> ``cli``. Prefect orchestration lives in the
top-level ``flows`` package, pandera models in ``schemas``.
"""

__version__ = "0.1.0"

#: Written on every output row. Bump it whenever the lexicon or the extraction rules change
#: what the extractor returns, so that analysts can tell figures of different versions apart.
#: 0.1.0 stood, unbumped, for the rules of sessions 1-4; 0.5.0 is the rules of session 5.
EXTRACTOR_VERSION = "0.5.0"
