"""The registry ``api`` process: a plain grpcio server (thread pool, no eventlet)."""

from __future__ import annotations

import gc
from functools import partial

from plr.registry.v1 import (
    checks_pb2,
    demo_pb2,
    development_pb2,
    imports_pb2,
    leaders_pb2,
    matching_profiles_pb2,
    networks_pb2,
    registry_pb2,
    staff_pb2,
)

from services.common.authentication import Authenticator, internal_callers
from services.common.authorization import check_allow_lists
from services.common.db import process_engine
from services.common.grpc_server import ApiServer, api_server, service_handler
from services.common.settings import Settings
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.entrypoints.grpc_api import RegistryApi
from services.registry.entrypoints.grpc_checks import CheckApi
from services.registry.entrypoints.grpc_demo import DemoApi
from services.registry.entrypoints.grpc_development import DevelopmentApi
from services.registry.entrypoints.grpc_imports import ImportApi
from services.registry.entrypoints.grpc_leaders import LeaderApi
from services.registry.entrypoints.grpc_matching_profiles import MatchingProfileApi
from services.registry.entrypoints.grpc_networks import InvitationApi, NetworkApi
from services.registry.entrypoints.grpc_staff import StaffApi
from services.registry.manifest import KEY_CACHE_TTL, MANIFEST, MATCHING

SERVICE = "registry"


def build_server(settings: Settings, listen: str | None = None) -> ApiServer:
    engine = process_engine(settings, SERVICE, "api")
    # the registry owns the directory: its own key revocations and trust suspensions forget the cached
    # keys at once (RegistryApi), so a short cache is safe here
    key_cache_ttl_s = settings.service(SERVICE).value(KEY_CACHE_TTL)
    callers = internal_callers(MANIFEST, settings)
    authenticator = Authenticator(engine, settings.admin_token, callers, key_cache_ttl_s=key_cache_ttl_s)
    unit_of_work = partial(SqlUnitOfWork, engine)
    registry = registry_pb2.DESCRIPTOR.services_by_name["RegistryService"]
    leaders = leaders_pb2.DESCRIPTOR.services_by_name["LeaderService"]
    imports = imports_pb2.DESCRIPTOR.services_by_name["ImportService"]
    development = development_pb2.DESCRIPTOR.services_by_name["DevelopmentService"]
    checks = checks_pb2.DESCRIPTOR.services_by_name["CheckService"]
    staff = staff_pb2.DESCRIPTOR.services_by_name["StaffService"]
    networks = networks_pb2.DESCRIPTOR.services_by_name["NetworkService"]
    invitations = networks_pb2.DESCRIPTOR.services_by_name["InvitationService"]
    demo = demo_pb2.DESCRIPTOR.services_by_name["DemoService"]
    matching_profiles = matching_profiles_pb2.DESCRIPTOR.services_by_name["MatchingProfileService"]
    descriptors = [
        registry,
        leaders,
        imports,
        development,
        checks,
        networks,
        invitations,
        staff,
        demo,
        matching_profiles,
    ]
    assert MANIFEST.api is not None
    check_allow_lists({c.name: c.methods for c in MANIFEST.api.callers}, descriptors)
    handler = partial(service_handler, authenticate=authenticator.authenticate, service=SERVICE)
    return api_server(
        settings,
        SERVICE,
        descriptors,
        [
            handler(registry, RegistryApi(unit_of_work, authenticator).methods()),
            handler(leaders, LeaderApi(unit_of_work).methods()),
            handler(imports, ImportApi(unit_of_work).methods()),
            handler(development, DevelopmentApi(unit_of_work).methods()),
            handler(checks, CheckApi(unit_of_work).methods()),
            handler(networks, NetworkApi(unit_of_work).methods()),
            handler(invitations, InvitationApi(unit_of_work).methods()),
            handler(staff, StaffApi(unit_of_work).methods()),
            handler(demo, DemoApi(unit_of_work, settings.production).methods()),
            handler(matching_profiles, MatchingProfileApi(unit_of_work, MATCHING.name).methods()),
        ],
        listen,
    )


def run(settings: Settings) -> None:
    server = build_server(settings)
    # what start-up made (modules, protobuf descriptors, schemas, compiled statements) lives as long
    # as the process: kept out of the collector's full passes, which otherwise walk it every time
    # (a bulk import made them cost a sixth of its CPU)
    gc.freeze()
    server.serve_until_signalled()
