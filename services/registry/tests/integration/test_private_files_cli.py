"""``plr trust offboard --export-to`` and ``plr leaders import --errors-to`` write personal data: a file
only the administrator can read (0600), never through a symbolic link planted at the path, which is
refused before anything is sent (the trust is not offboarded, no row is imported)."""

from __future__ import annotations

import hashlib
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import affiliations, leaders, offboard_exports
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def plr(stack: PlrStack, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    stack.env["PLR_REGISTRY_API_TARGET"] = target  # the api served in-process for this session
    return stack.plr(*args)


def status(registry: RegistryClient, ods: str) -> str:
    return str(registry.stub.GetTrust(pb.GetTrustRequest(ods=ods), metadata=registry.as_admin(), timeout=10).status)


def planted_link(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A link at ``name`` to a file that does not exist yet (where an attacker would read it from)."""
    target = tmp_path / "attacker" / "copy"
    target.parent.mkdir()
    link = tmp_path / name
    link.symlink_to(target)
    return link, target


def test_an_offboarding_export_is_not_written_through_a_link_and_the_trust_is_not_offboarded(
    registry: RegistryClient, registry_target: str, stack: PlrStack, tmp_path: Path
) -> None:
    registry.onboard("PFL1")
    link, target = planted_link(tmp_path, "export.json")

    refused = plr(stack, registry_target, "trust", "offboard", "PFL1", "--export-to", str(link), "--yes")

    assert refused.returncode == 2, refused.stderr
    assert f"{link} is a symbolic link" in refused.stderr
    assert not target.exists() and link.is_symlink()
    assert status(registry, "PFL1") == "active"


def test_an_offboarding_export_is_readable_by_its_owner_only(
    registry: RegistryClient, registry_target: str, stack: PlrStack, tmp_path: Path
) -> None:
    registry.onboard("PFL2")
    export = tmp_path / "export.json"

    done = plr(stack, registry_target, "trust", "offboard", "PFL2", "--export-to", str(export), "--yes")

    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.lstat(export).st_mode) == 0o600 and "PFL2" in export.read_text()


def held(stack: PlrStack, ods: str, leader_id: str) -> tuple[object, str, str]:
    """(when the person was erased, their affiliation's status, the export the registry holds)."""
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        erased_at = connection.execute(sa.select(leaders.c.erased_at).where(leaders.c.leader_id == leader_id)).scalar()
        affiliation = connection.execute(
            sa.select(affiliations.c.status).where(
                affiliations.c.leader_id == leader_id, affiliations.c.trust_ods == ods
            )
        ).scalar_one()
        document = connection.execute(
            sa.select(offboard_exports.c.document).where(offboard_exports.c.trust_ods == ods)
        ).scalar()
    return erased_at, affiliation, document or ""


def test_an_export_that_cannot_be_written_erases_nothing_and_the_registry_keeps_it_until_confirmed(
    registry: RegistryClient, registry_target: str, stack: PlrStack, tmp_path: Path
) -> None:
    key = registry.onboard("PFL9").initial_key.key
    person = registry.confirm(registry.register(key, "pfl9@example.org", "KeptUntilConfirmed", "Person"))
    export = tmp_path / "export.json"
    stack.env["PLR_REGISTRY_API_TARGET"] = registry_target

    # the file system takes no more than 16 bytes of it (a full disk, a quota): the write fails
    failed = subprocess.run(
        [str(Path(sys.executable).parent / "plr"), "trust", "offboard", "PFL9", "--export-to", str(export), "--yes"],
        env={**os.environ, **stack.env},
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert failed.returncode == 1, failed.stderr
    assert "could not be written" in failed.stderr and "nothing was erased" in failed.stderr
    assert not export.exists()  # no partial file left to be mistaken for the export
    erased_at, affiliation, document = held(stack, "PFL9", person.leader_id)
    assert (erased_at, affiliation) == (None, "active") and "KeptUntilConfirmed" in document
    assert status(registry, "PFL9") == "suspended"  # its keys refused meanwhile
    again = registry.stub.OffboardTrust(
        pb.OffboardTrustRequest(ods="PFL9", confirm_ods="PFL9"), metadata=registry.as_admin(), timeout=30
    )
    assert again.export_document == document  # retrievable, the same

    done = plr(stack, registry_target, "trust", "offboard", "PFL9", "--export-to", str(export), "--yes")

    assert done.returncode == 0, done.stderr
    assert "1 leader(s) erased" in done.stdout
    assert hashlib.sha256(export.read_bytes()).hexdigest() == again.export_sha256
    erased_at, affiliation, document = held(stack, "PFL9", person.leader_id)
    assert erased_at is not None and affiliation == "ended" and document == ""  # erased once, export forgotten
    repeat = plr(
        stack, registry_target, "trust", "offboard", "PFL9", "--export-to", str(tmp_path / "again.json"), "--yes"
    )
    assert repeat.returncode == 0 and "offboarded already" in repeat.stdout, repeat.stderr
    assert not (tmp_path / "again.json").exists()


def test_an_import_error_file_is_not_written_through_a_link_and_nothing_is_imported(
    registry: RegistryClient, registry_target: str, stack: PlrStack, tmp_path: Path
) -> None:
    key = registry.onboard("PFL3").initial_key.key
    register = tmp_path / "register.csv"
    register.write_text("given_name,family_name,email\nAda,Leader,ada-pfl3@example.org\nBad,Row,not-an-email\n")
    link, target = planted_link(tmp_path, "register.errors.csv")

    refused = plr(
        stack, registry_target, "leaders", "import", str(register), "--trust", "PFL3", "--errors-to", str(link)
    )

    assert refused.returncode == 2, refused.stderr
    assert "is a symbolic link" in refused.stderr and "nothing was sent" in refused.stderr
    assert not target.exists() and link.is_symlink()
    listed = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(page_size=10),
        metadata=bearer(key),
        timeout=10,
    )
    assert list(listed.affiliations) == []


def test_an_import_error_file_is_readable_by_its_owner_only_and_a_rerun_replaces_it(
    registry: RegistryClient, registry_target: str, stack: PlrStack, tmp_path: Path
) -> None:
    registry.onboard("PFL4")
    register = tmp_path / "register.csv"
    register.write_text("given_name,family_name,email\nAda,Leader,ada-pfl4@example.org\nBad,Row,not-an-email\n")
    errors = tmp_path / "register.errors.csv"

    for _ in range(2):  # the second run finds the first run's report and replaces it
        done = plr(stack, registry_target, "leaders", "import", str(register), "--trust", "PFL4")
        assert done.returncode == 3, done.stderr
        assert stat.S_IMODE(os.lstat(errors).st_mode) == 0o600
        assert errors.read_text().splitlines() == ["row,field,reason", "3,email,must be an email address"]
