"""What the tests and the benchmarks share: a commune seeded with many signed-in devices
(`seed`), real `maillage serve` processes on a database of their own (`servers`).

Never imported by the product (an import contract says so, pyproject.toml).
"""
