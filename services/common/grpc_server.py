"""The gRPC server bootstrap every ``api`` process uses.

Requests are deserialized here, not by grpcio's generated code, so that undecodable bytes are
answered ``INVALID_ARGUMENT`` (grpcio would answer ``INTERNAL``). Each call is authenticated to a
principal, runs under its correlation id, and has its domain errors mapped to status codes with a
clear message and never a stack trace. Whether the principal may call the method at all (its
declared scope, an internal caller's allow-list) is decided here too, before the request is read.
A database that cannot be reached is answered ``UNAVAILABLE`` and a statement timeout
``DEADLINE_EXCEEDED``, naming the service's database and saying that the call may be retried (its
transaction rolled back; the README says which methods are safe to retry). The standard health
service and (in development only) reflection are served too. The api serves TLS only when its
settings give it a certificate, and asks every caller for a client certificate when they give it a
client CA (``PLR_GRPC_TLS_*``). No eventlet here: a grpcio server in an eventlet-patched process never
answers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message as protobuf_message
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common import errors
from services.common.authorization import authorize, full_method_name, required_scope
from services.common.db import db_error_summary, is_db_configuration_error, is_statement_timeout, is_transient_db_error
from services.common.listen import why_cannot_listen
from services.common.logs import correlated
from services.common.metrics import API_SERVING, GRPC_LATENCY, GRPC_REQUESTS
from services.common.principals import Principal
from services.common.settings import PLAINTEXT, GrpcTls, Settings

log = logging.getLogger(__name__)

STATUS_OF: list[tuple[type[Exception], grpc.StatusCode]] = [
    (errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.PreconditionFailed, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
]


@dataclass(frozen=True)
class Call:
    """What a servicer method knows of its caller."""

    principal: Principal
    correlation_id: str
    metadata: Mapping[str, str]
    method: str = ""  # the method's name, e.g. "UpdateLeader"
    request: protobuf_message.Message | None = None  # as decoded (a service may record parts of it)


Authenticate = Callable[[Mapping[str, str]], Principal]
Method = Callable[[Any, Call], protobuf_message.Message]


# trailing metadata naming whose database failed, so a client tells an outage from an api it cannot reach
UNAVAILABLE_DATABASE_KEY = "x-plr-unavailable-database"
# ... and whose database refused the api's own connection (its role, password or database name): the
# caller may retry later, as for an outage, but `plr` tells the administrator to fix the configuration
MISCONFIGURED_DATABASE_KEY = "x-plr-misconfigured-database"


def status_for(error: BaseException) -> grpc.StatusCode | None:
    for kind, code in STATUS_OF:
        if isinstance(error, kind):
            return code
    return None


def database_status(error: BaseException, service: str) -> tuple[grpc.StatusCode, str] | None:
    """The answer to a database fault, or None when the error is not one. The message names the
    service's database and nothing of the statement or its values."""
    if is_db_configuration_error(error):
        # not the request's fault, and not a bug to answer INTERNAL: the api cannot work until an
        # administrator fixes it; what was refused (a role's name) is in the api's log, not the answer
        return grpc.StatusCode.UNAVAILABLE, f"{service} database refused the connection: check its configuration"
    if is_statement_timeout(error):
        return grpc.StatusCode.DEADLINE_EXCEEDED, f"{service} database did not answer in time; the call may be retried"
    if is_transient_db_error(error):
        return grpc.StatusCode.UNAVAILABLE, f"{service} database unavailable; the call may be retried"
    return None


def _unary_handler(
    descriptor: MethodDescriptor, method: Method, authenticate: Authenticate, service: str
) -> grpc.RpcMethodHandler:
    full_name = f"/{full_method_name(descriptor)}"
    request_class = message_factory.GetMessageClass(descriptor.input_type)
    allowed, scope = full_method_name(descriptor), required_scope(descriptor)  # no scope: refused at start

    def handle(raw: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = {key: value for key, value in context.invocation_metadata() if isinstance(value, str)}
        cid = metadata.get("x-correlation-id") or str(uuid.uuid4())
        if len(cid) > 100 or not cid.isprintable():
            cid = str(uuid.uuid4())
        context.set_trailing_metadata((("x-correlation-id", cid),))
        started = time.perf_counter()
        answered = "INTERNAL"  # what the finally below counts if nothing else is decided
        with correlated(cid):
            try:
                principal = authenticate(metadata)
                authorize(principal, allowed, scope)
                try:
                    request = request_class.FromString(raw)
                except (protobuf_message.DecodeError, UnicodeDecodeError, ValueError, RuntimeWarning):
                    raise errors.InvalidInput(
                        {"request": f"could not be decoded as {request_class.DESCRIPTOR.full_name}"}
                    ) from None
                call = Call(principal, cid, metadata, full_name.rsplit("/", 1)[-1], request)
                response = method(request, call)
                log.info("%s ok", full_name, extra={"method": full_name, "code": "OK"})
                answered = "OK"
                return response.SerializeToString()
            except Exception as error:
                code = status_for(error)
                elapsed = (time.perf_counter() - started) * 1000
                database_fault = database_status(error, service) if code is None else None
                if database_fault is not None:  # not a bug: the caller retries, the operator looks at the database
                    code, detail = database_fault
                    misconfigured = is_db_configuration_error(error)
                    log.log(
                        logging.ERROR if misconfigured else logging.WARNING,  # a person must act, or it lasts
                        "%s %s after %.1f ms: %s database: %s",
                        full_name,
                        code.name,
                        elapsed,
                        service,
                        db_error_summary(error),
                        extra={"method": full_name, "code": code.name},
                    )
                    key = MISCONFIGURED_DATABASE_KEY if misconfigured else UNAVAILABLE_DATABASE_KEY
                    context.set_trailing_metadata((("x-correlation-id", cid), (key, service)))
                elif code is None:  # a bug, not the caller's fault: logged, and answered without detail
                    log.error(
                        "%s failed after %.1f ms",
                        full_name,
                        elapsed,
                        exc_info=True,
                        extra={"method": full_name, "code": "INTERNAL"},
                    )
                    code, detail = grpc.StatusCode.INTERNAL, f"internal error; correlation id {cid}"
                else:
                    detail = str(error)
                    log.info("%s %s: %s", full_name, code.name, detail, extra={"method": full_name, "code": code.name})
                answered = code.name
                context.abort(code, detail)
                raise  # unreachable: abort raises
            finally:
                elapsed_s = time.perf_counter() - started
                GRPC_REQUESTS.labels(service, full_name, answered).inc()
                GRPC_LATENCY.labels(service, full_name, answered).observe(elapsed_s)

    return grpc.unary_unary_rpc_method_handler(handle, request_deserializer=None, response_serializer=None)


def service_handler(
    descriptor: ServiceDescriptor, methods: Mapping[str, Method], authenticate: Authenticate, *, service: str
) -> grpc.GenericRpcHandler:
    """``service`` is the plr service whose process serves these methods (its database is the one named
    when that database cannot be reached)."""
    missing = [m.name for m in descriptor.methods if m.name not in methods]
    if missing:
        raise ValueError(f"{descriptor.full_name}: no implementation for {', '.join(missing)}")
    handlers = {m.name: _unary_handler(m, methods[m.name], authenticate, service) for m in descriptor.methods}
    return grpc.method_handlers_generic_handler(descriptor.full_name, handlers)


def _server_credentials(tls: GrpcTls) -> grpc.ServerCredentials:
    assert tls.server_cert is not None and tls.server_key is not None  # settings pair them
    return grpc.ssl_server_credentials(
        [(tls.server_key, tls.server_cert)],
        root_certificates=tls.client_ca,
        require_client_auth=tls.client_ca is not None,
    )


class ListenError(OSError):
    """The api's address cannot be listened on; the message names the address and why."""


class ApiServer:
    def __init__(
        self,
        listen: str,
        descriptors: list[ServiceDescriptor],
        handlers: list[grpc.GenericRpcHandler],
        *,
        max_workers: int = 16,
        reflection_enabled: bool = False,
        tls: GrpcTls = PLAINTEXT,
    ):
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            options=[("grpc.so_reuseport", 0)],
        )
        self.server.add_generic_rpc_handlers(handlers)
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.service_names = [d.full_name for d in descriptors]
        if reflection_enabled:
            reflection.enable_server_reflection(
                [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
            )
        reason = why_cannot_listen(listen)
        if reason is not None:
            raise ListenError(f"cannot listen on {listen}: {reason}")
        try:
            if tls.server_cert is None:
                self.port = self.server.add_insecure_port(listen)
            else:
                self.port = self.server.add_secure_port(listen, _server_credentials(tls))
        except RuntimeError as error:  # taken in the instant since the check above
            raise ListenError(f"cannot listen on {listen}: {error}") from None
        self.stopped = threading.Event()

    def start(self) -> None:
        self.server.start()
        for name in ("", *self.service_names):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        API_SERVING.set(1)
        log.info("api listening on port %d", self.port)

    def stop(self, grace_s: float = 10.0) -> None:
        self.health.enter_graceful_shutdown()
        API_SERVING.set(0)
        self.server.stop(grace_s).wait()
        self.stopped.set()

    def serve_until_signalled(self) -> None:
        def on_signal(signum: int, frame: Any) -> None:
            log.info("api stopping (signal %d)", signum)
            threading.Thread(target=self.stop, daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        while not self.stopped.wait(0.5):
            pass


def api_server(
    settings: Settings,
    service: str,
    descriptors: list[ServiceDescriptor],
    handlers: list[grpc.GenericRpcHandler],
    listen: str | None = None,
) -> ApiServer:
    """A service's api as its settings configure it: where it listens (``listen`` overrides), one thread
    per pooled database connection, TLS when configured, reflection in development only."""
    return ApiServer(
        listen or settings.api(service).listen,
        descriptors,
        handlers,
        max_workers=settings.pool_size,
        reflection_enabled=not settings.production,
        tls=settings.grpc_tls,
    )
