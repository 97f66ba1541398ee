"""`python -m techgraph …`: the same command line as the `techgraph` script."""

from techgraph.api.cli import main

main()
