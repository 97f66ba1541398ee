// Benchmark (benchmarks/run.py): the server's heap and page-cache settings, for the report.
CALL dbms.listConfig('server.memory') YIELD name, value
RETURN name, value
