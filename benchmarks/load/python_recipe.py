"""The Python recipe forkserve is measured against: FastAPI under gunicorn with 2 uvicorn
workers, prometheus_client in multiprocess mode, a hand-written HTTP-latency middleware and a
per-function histogram, as LitServe's Prometheus recipe does. Run by benchmarks/load/run.sh."""
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Histogram,
                               generate_latest, multiprocess)

REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["route", "method", "status"])
FUNCTION_TIME = Histogram(
    "request_processing_seconds", "Time spent processing request", ["function_name"])

app = FastAPI()


@app.middleware("http")
async def latency(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    REQUEST_LATENCY.labels(request.url.path, request.method, str(response.status_code)).observe(
        time.perf_counter() - start)
    return response


@app.post("/predict")
async def predict(request: Request):
    with FUNCTION_TIME.labels("decode_request").time():
        x = (await request.json())["input"]
    with FUNCTION_TIME.labels("predict").time():
        y = x
    with FUNCTION_TIME.labels("encode_response").time():
        out = {"output": y}
    return out


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/metrics")
def metrics():
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
