"""The matching ``api`` process: a plain grpcio server (thread pool, no eventlet)."""

from __future__ import annotations

import gc
from functools import partial

from services.common.authentication import Authenticator
from services.common.db import process_engine
from services.common.grpc_server import ApiServer, api_server, service_handler
from services.common.settings import Settings
from services.matching.adapters.unit_of_work import SqlUnitOfWork
from services.matching.entrypoints.grpc_opportunities import OpportunityApi
from services.matching.entrypoints.grpc_settings import MatchingSettingsApi

SERVICE = "matching"


def build_server(settings: Settings, listen: str | None = None) -> ApiServer:
    engine = process_engine(settings, SERVICE, "api")
    # the trust directory here is a projection of registry's events: no key cache, so a revocation
    # counts from the moment its event is applied
    # trust keys only: the administrator and the portal have nothing to do here yet, so this api holds
    # neither token and declares no internal caller (least privilege: their calls are UNAUTHENTICATED)
    authenticator = Authenticator(engine, admin_token=None)
    unit_of_work = partial(SqlUnitOfWork, engine)
    handler = partial(service_handler, authenticate=authenticator.authenticate, service=SERVICE)
    servicers = [OpportunityApi(unit_of_work), MatchingSettingsApi(unit_of_work)]
    return api_server(
        settings,
        SERVICE,
        [s.SERVICE for s in servicers],
        [handler(s.SERVICE, s.methods()) for s in servicers],
        listen,
    )


def run(settings: Settings) -> None:
    server = build_server(settings)
    gc.freeze()  # start-up's objects live as long as the process (see the registry's api)
    server.serve_until_signalled()
