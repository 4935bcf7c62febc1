"""Benchmark-only SSE servers and client for `benchmarks/sse_fanout.py` (issue 8).

Not the product stream: these modules exist to choose, by measurement, how the product's
`/api/v1/stream` is served (server, lean ASGI app or Django view, fan-out primitive).
"""
