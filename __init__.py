"""techgraph: a knowledge graph of technologies, firms and countries."""

__version__ = "0.1.0"
