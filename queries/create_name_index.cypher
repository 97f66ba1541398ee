// Look-ups by name, per node type; the index name comes from the (schema-checked) label.
CREATE INDEX {{index}} IF NOT EXISTS FOR (n:{{label}}) ON (n.name)
