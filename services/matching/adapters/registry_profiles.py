"""The registry, as matching's worker reads it: ``GetMatchingProfile`` alone, with matching's own
credential (``PLR_REGISTRY_MATCHING_TOKEN``, the registry's ``MATCHING`` caller), from inside the
eventlet worker without blocking its hub (services/common/green_grpc.py), with a short deadline."""

from __future__ import annotations

import atexit

import grpc
from plr.registry.v1 import matching_profiles_pb2 as pb
from plr.registry.v1 import matching_profiles_pb2_grpc

from services.common.green_grpc import call_cooperatively, cooperative_grpc
from services.common.grpc_client import api_channel, bearer
from services.common.settings import Settings, SettingsError

REGISTRY = "registry"
TOKEN = "MATCHING_TOKEN"  # the registry's setting holding matching's credential
DEADLINE_S = 5.0  # a handler holds its transaction while it waits: short, and the inbox retries


class RegistryProfiles:
    def __init__(self, channel: grpc.Channel, token: str, deadline_s: float = DEADLINE_S):
        self._stub = matching_profiles_pb2_grpc.MatchingProfileServiceStub(channel)
        self._metadata = bearer(token)
        self._deadline_s = deadline_s

    def get(self, leader_id: str) -> pb.MatchingProfile | None:
        """The person's matching facts, or None if the registry knows no such person (erased or unknown).
        Any other failure is raised: the inbox retries the event, then dead-letters it."""
        request = pb.GetMatchingProfileRequest(leader_id=leader_id)
        try:
            found: pb.MatchingProfile = call_cooperatively(
                self._stub.GetMatchingProfile, request, timeout=self._deadline_s, metadata=self._metadata
            )
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:  # type: ignore[attr-defined]
                return None
            raise
        return found


def registry_profiles(settings: Settings) -> RegistryProfiles:
    """The worker's reader of the registry, on a channel of its own (closed at exit: a used channel was
    seen to keep a nameko process from ending)."""
    token = settings.service(REGISTRY).get(TOKEN)
    if not token:
        raise SettingsError(f"PLR_REGISTRY_{TOKEN} is not set: matching's worker reads the registry's people with it")
    cooperative_grpc()  # before the channel: it keeps the locks it is made with
    channel = api_channel(settings, REGISTRY)
    atexit.register(channel.close)
    return RegistryProfiles(channel, token)
