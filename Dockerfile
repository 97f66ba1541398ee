# The techgraph API image that docker-compose.yml runs next to Neo4j.
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps --require-hashes -r requirements-model.txt \
 && useradd --create-home techgraph
USER techgraph
EXPOSE 8000
CMD ["techgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
