"""Leases (stores.leases): one holder at a time for work spanning transactions, safe behind a pooler."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from stores.leases import lease_acquire, leased
from stores.models import Lease
from tests.fixtures.bigcommerce import drop_store_schemas

pytestmark = pytest.mark.django_db(transaction=True)
MINUTE = timedelta(minutes=1)


def test_a_lease_has_one_holder_until_it_is_released():
    first = lease_acquire(name="drain:1", ttl=MINUTE)
    assert first is not None
    assert lease_acquire(name="drain:1", ttl=MINUTE) is None
    assert lease_acquire(name="drain:2", ttl=MINUTE) is not None  # another name is another lease

    first.release()
    assert lease_acquire(name="drain:1", ttl=MINUTE) is not None


def test_a_dead_holders_lease_expires_and_its_late_renewal_fails():
    dead = lease_acquire(name="drain:1", ttl=MINUTE)
    Lease.objects.filter(name="drain:1").update(expires_at=Lease.objects.get().acquired_at - MINUTE)

    successor = lease_acquire(name="drain:1", ttl=MINUTE)
    assert successor is not None and successor.holder != dead.holder
    assert dead.renew() is False  # the old holder learns it lost the lease and stops
    dead.release()  # and cannot release someone else's
    assert Lease.objects.get().holder == successor.holder
    assert successor.renew() is True


def test_waiting_takes_the_lease_when_its_holder_lets_go():
    holder = lease_acquire(name="drain:1", ttl=MINUTE)
    threading.Timer(0.3, holder.release).start()

    with leased("drain:1", ttl=MINUTE, wait=10) as lease:
        assert lease is not None
    assert not Lease.objects.exists()


def test_of_many_concurrent_takers_exactly_one_gets_the_lease():
    winners, barrier = [], threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait()
            if lease_acquire(name="follow-up:7", ttl=MINUTE) is not None:
                winners.append(threading.get_ident())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_the_lease_lives_in_the_public_schema_whatever_the_current_store(make_store):
    store = make_store()
    connection.set_tenant(store)
    try:
        with leased(f"drain:{store.pk}", ttl=MINUTE) as lease:
            assert lease is not None
            connection.set_schema_to_public()
            assert Lease.objects.filter(name=f"drain:{store.pk}").exists()
    finally:
        connection.set_schema_to_public()
        drop_store_schemas()  # committed: the flush between tests empties tables, not schemas
