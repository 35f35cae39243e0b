"""Every state a backorder can be in, where it may go from there, and the timeline it leaves."""

import pytest

from backorder.models import Backorder
from backorder.services.lifecycle import IllegalTransition, backorder_transition
from tests.backorder.conftest import backorder_make, variant_make

S = Backorder.Status
ALLOWED = {
    (S.WAITING, S.ALLOCATED), (S.WAITING, S.SHIPPED), (S.WAITING, S.CANCELLED), (S.WAITING, S.WAITING),
    (S.ALLOCATED, S.WAITING), (S.ALLOCATED, S.SHIPPED), (S.ALLOCATED, S.CANCELLED), (S.ALLOCATED, S.ALLOCATED),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("from_status", list(S))
@pytest.mark.parametrize("to_status", list(S))
def test_every_transition_is_either_allowed_and_recorded_or_refused_with_a_clear_error(store, from_status, to_status):
    backorder = backorder_make(variant_make(on_hand=0), 2, status=from_status)
    if (from_status, to_status) in ALLOWED:
        backorder_transition(backorder=backorder, to_status=to_status, kind="test", actor="merchant",
                             actor_label="maria@example.com")  # fmt: skip
        backorder.refresh_from_db()
        event = backorder.events.get()
        assert backorder.status == to_status
        assert (event.from_status, event.to_status, event.actor, event.actor_label) == (
            from_status, to_status, "merchant", "maria@example.com"
        )  # fmt: skip
    else:
        with pytest.raises(IllegalTransition, match=f"cannot become {S(to_status).label.lower()}"):
            backorder_transition(backorder=backorder, to_status=to_status, kind="test")
        backorder.refresh_from_db()
        assert backorder.status == from_status and not backorder.events.exists()


@pytest.mark.django_db
def test_reaching_a_state_stamps_its_time(store):
    backorder = backorder_make(variant_make(on_hand=0), 1)
    backorder_transition(backorder=backorder, to_status=S.ALLOCATED, kind="allocated")
    backorder_transition(backorder=backorder, to_status=S.SHIPPED, kind="shipped")
    backorder.refresh_from_db()
    assert backorder.allocated_at and backorder.shipped_at and backorder.cancelled_at is None
