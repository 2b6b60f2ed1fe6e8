"""A database that only reads (a standby after a failover, or an administrator's
default_transaction_read_only) is an outage, not a message's fault: the consumer retries and gives the
message back, counting no handler failure and dead-lettering nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.common.events import CloudEvent
from services.common.inbox import DeadLetter, InboxConsumer, OutageOutlasted
from services.common.platform_tables import inbox
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def test_a_consumer_whose_database_only_reads_gives_the_message_back_uncounted_and_never_dead_letters(
    stack: PlrStack,
) -> None:
    url = stack.engine("matching").url
    read_only = sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    event = CloudEvent(
        type="plr.diagnostics.probe.recorded.v1",
        source="plr/diagnostics",
        data={},
        aggregate_type="probe",
        aggregate_id="p-read-only",
        aggregate_version=1,
    )
    consumer = InboxConsumer(
        name="read-only-test", engine=read_only, handlers={}, transient_budget_s=0.2, sleep=lambda _s: None
    )
    try:
        with pytest.raises(OutageOutlasted):
            try:
                consumer._process_event(event)
            except DeadLetter:  # pragma: no cover - the failure this test exists to catch
                pytest.fail("a read-only database dead-lettered the message")
        assert consumer.stats.handler_failures == 0 and consumer.stats.dead_lettered == 0
        assert consumer.stats.transient_retries >= 2
    finally:
        read_only.dispose()
    with stack.engine("matching", "owner").connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).where(inbox.c.event_id == event.id)).scalar() == 0
