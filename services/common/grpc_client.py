"""gRPC client helpers: a deadline on every call, retries only for idempotent calls (on UNAVAILABLE), and
TLS when the settings configure it (``PLR_GRPC_TLS_CA``): every client of an api opens its channel here."""

from __future__ import annotations

import json

import grpc

from services.common.settings import GrpcTls, Settings

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


def open_channel(
    target: str,
    tls: GrpcTls,
    idempotent_services: tuple[str, ...] = (),
    max_receive_bytes: int = 4 * 1024 * 1024,
    server_name: str | None = None,
) -> grpc.Channel:
    """A channel to an api: over TLS when ``tls`` has a CA (verifying the api's certificate against it
    and presenting this process's own certificate, if it has one), plaintext otherwise. ``server_name``
    is the name the api's certificate is checked against when ``target`` is another name for it (a
    container's health check asks 127.0.0.1)."""
    config = json.loads(RETRY_UNAVAILABLE)
    config["methodConfig"][0]["name"] += [{"service": s} for s in idempotent_services]
    options: list[tuple[str, str | int]] = [
        ("grpc.service_config", json.dumps(config)),
        ("grpc.enable_retries", 1),
        ("grpc.max_receive_message_length", max_receive_bytes),
    ]
    if tls.ca is None:
        return grpc.insecure_channel(target, options=options)
    if server_name is not None:
        options.append(("grpc.ssl_target_name_override", server_name))
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls.ca, private_key=tls.client_key, certificate_chain=tls.client_cert
    )
    return grpc.secure_channel(target, credentials, options=options)


def api_channel(settings: Settings, service: str, max_receive_bytes: int = 4 * 1024 * 1024) -> grpc.Channel:
    """A channel to a service's api, where and as the settings say (its target, TLS or not)."""
    return open_channel(settings.api(service).target, settings.grpc_tls, max_receive_bytes=max_receive_bytes)


def bearer(credential: str, correlation_id: str | None = None) -> tuple[tuple[str, str], ...]:
    metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {credential}"),)
    if correlation_id:
        metadata += (("x-correlation-id", correlation_id),)
    return metadata
