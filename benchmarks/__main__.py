"""`python -m benchmarks` (`make bench`): every benchmark, one after the other."""

from benchmarks import dispatch, envelope, sse_fanout
from benchmarks.delivery import run as delivery_run

if __name__ == "__main__":
    envelope.main()
    # A small case; the full comparison: `python -m benchmarks.sse_fanout` (docs/benchmarks.md).
    sse_fanout.main(
        ["--connections", "500", "--runs", "1", "--servers", "django-uvicorn,lean-uvicorn"]
    )
    # End to end at the first size (needs PostgreSQL on 127.0.0.1:5432, else
    # --pg); every size and the browser: `python -m benchmarks.delivery --help`.
    delivery_run.main(["--devices", "140", "--alerts", "5", "--bursts", "1"])
    # A dispatch of 1 to 200 content-key grants, both databases.
    dispatch.main(["--runs", "5"])
