"""The matching ``api`` process: a plain grpcio server (thread pool, no eventlet)."""

from __future__ import annotations

import gc
from functools import partial

from services.common.authentication import Authenticator, internal_callers
from services.common.authorization import check_allow_lists
from services.common.db import process_engine
from services.common.grpc_server import ApiServer, api_server, service_handler
from services.common.settings import Settings
from services.matching.adapters.unit_of_work import SqlUnitOfWork
from services.matching.entrypoints.grpc_opportunities import OpportunityApi
from services.matching.entrypoints.grpc_ranking import RankingApi
from services.matching.entrypoints.grpc_settings import MatchingSettingsApi
from services.matching.manifest import MANIFEST

SERVICE = "matching"


def build_server(settings: Settings, listen: str | None = None) -> ApiServer:
    engine = process_engine(settings, SERVICE, "api")
    # the trust and staff directories here are projections of registry's events: no key cache, so a
    # revocation or a member of staff leaving counts from the moment its event is applied. Trust keys,
    # and the portal for a member of staff; the administrator has nothing to do here, so this api holds
    # no administrator's token (least privilege: its calls are UNAUTHENTICATED)
    authenticator = Authenticator(engine, admin_token=None, callers=internal_callers(MANIFEST, settings))
    unit_of_work = partial(SqlUnitOfWork, engine)
    handler = partial(service_handler, authenticate=authenticator.authenticate, service=SERVICE)
    servicers = [OpportunityApi(unit_of_work), MatchingSettingsApi(unit_of_work), RankingApi(unit_of_work)]
    assert MANIFEST.api is not None
    check_allow_lists({c.name: c.methods for c in MANIFEST.api.callers}, [s.SERVICE for s in servicers])
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
