"""The ceiling of a Python handler here: FastAPI's hello world, served as the bench serves it
(`uvicorn shopflow_benchmarks.bare_app:app`: uvloop, httptools, no access log)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
