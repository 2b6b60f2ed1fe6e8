"""gRPC client helpers: a deadline on every call, retries only for idempotent calls (on UNAVAILABLE)."""

from __future__ import annotations

import json

import grpc

RETRY_UNAVAILABLE = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{"service": "grpc.health.v1.Health"}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def insecure_channel(
    target: str, idempotent_services: tuple[str, ...] = (), max_receive_bytes: int = 4 * 1024 * 1024
) -> grpc.Channel:
    config = json.loads(RETRY_UNAVAILABLE)
    config["methodConfig"][0]["name"] += [{"service": s} for s in idempotent_services]
    return grpc.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(config)),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", max_receive_bytes),
        ],
    )


def bearer(credential: str, correlation_id: str | None = None) -> tuple[tuple[str, str], ...]:
    metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {credential}"),)
    if correlation_id:
        metadata += (("x-correlation-id", correlation_id),)
    return metadata
