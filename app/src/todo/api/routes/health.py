"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (the database answers too)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from todo.core.db import ping

from ..deps import get_engine

router = APIRouter(tags=["health"])
log = logging.getLogger("todo.api.health")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> dict[str, str] | JSONResponse:
    """Readiness: 200 when PostgreSQL answers, 503 when it does not or the chat engine failed to load.

    A chat engine still loading does not make the pod unready: everything else answers meanwhile and
    a chat turn waits for it."""
    if request.app.state.chat_engine_failed:
        detail = {"status": "unavailable", "detail": "chat engine failed to load"}
        return JSONResponse(detail, status_code=503)
    try:
        ping(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        log.warning("database unreachable", extra={"error": reason})
        return JSONResponse({"status": "unavailable", "detail": "database unreachable"}, status_code=503)
    return {"status": "ok"}
