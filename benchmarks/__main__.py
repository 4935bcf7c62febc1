"""`python -m benchmarks` (`make bench`): every benchmark, one after the other."""

from benchmarks import envelope, sse_fanout

if __name__ == "__main__":
    envelope.main()
    # A small case; the full comparison: `python -m benchmarks.sse_fanout` (docs/benchmarks.md).
    sse_fanout.main(
        ["--connections", "500", "--runs", "1", "--servers", "django-uvicorn,lean-uvicorn"]
    )
