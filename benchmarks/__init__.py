"""On-demand benchmarks (issue 3): a synthetic supply-chain generator and the load/query runner.

Nothing here runs in the test suite except the generator's own small test; timings are taken by
``python -m techgraph.benchmarks.run``. See benchmarks/README.md and docs/benchmarks.md.
"""
