"""End-to-end delivery (issue 8 item 8): a sealed report POSTed to one `maillage serve`
process → its receipt at each of N devices held by one separate aiohttp client process,
two server processes sharing one PostgreSQL (devices alternate over both, so half of them
are reached through the LISTEN/NOTIFY bus).

The `broadcast` case: « message à tous les commerces » from the console's device to N
merchant devices, sealed once to the commune's group key (which that device first
publishes and grants to every holder, as the console does), POST /broadcasts on server 0 →
receipt of `broadcast.sent` with the sealed copy inline at each of the N.

Run: `.venv/bin/python -m benchmarks.delivery [--devices 140,1000] [--cases
isolated,burst,queries,browser,broadcast] [--alerts 10] [--broadcasts 10] [--bursts 3]
[--json PATH]`; figures and how to read them: docs/benchmarks.md, "Delivery, end to
end". The benchmark creates and drops its own database (`--database`, default
maillage_bench_delivery) and keeps one template per N and kind of devices
(`…_seedV_N_rb`: r operators, b merchants; dropped with `--drop-seeds`, skipped with
`--no-seed-cache`).

- `maillage.testing.seed`: the commune, through the actions, and the N devices in bulk
  (10,000 in seconds), shared with the no-loss test, as are the server processes of
  `maillage.testing.servers`; `client.py`: the devices' process;
  `run.py`: the driver (servers, cases, table, JSON); `queries.py`: SQL queries per step,
  in process; `browser.py`: tap → signal in Chromium; `profiled.py`: a server under
  cProfile (BENCH_PROFILE_SERVERS=1).
"""
