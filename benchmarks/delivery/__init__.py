"""End-to-end delivery (issue 8 item 8): a sealed report POSTed to one `maillage serve`
process → its receipt at each of N devices held by one separate aiohttp client process,
two server processes sharing one PostgreSQL (devices alternate over both, so half of them
are reached through the LISTEN/NOTIFY bus).

Run: `.venv/bin/python -m benchmarks.delivery [--devices 140,1000] [--cases
isolated,burst,queries,browser] [--alerts 10] [--bursts 3] [--json PATH]`; figures and how
to read them: docs/benchmarks.md, "Delivery, end to end". The benchmark creates and drops
its own database (`--database`, default maillage_bench_delivery) and keeps one template
per N (`…_seedV_N`, dropped with `--drop-seeds`, skipped with `--no-seed-cache`).

- `maillage.testing.seed`: the commune, through the actions (shared with the no-loss
  test, as are the server processes of `maillage.testing.servers`); `client.py`: the
  devices' process;
  `run.py`: the driver (servers, cases, table, JSON); `queries.py`: SQL queries per step,
  in process; `browser.py`: tap → signal in Chromium; `profiled.py`: a server under
  cProfile (BENCH_PROFILE_SERVERS=1).
"""
