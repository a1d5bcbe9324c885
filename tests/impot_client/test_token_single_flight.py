"""The DGFiP token is requested single-flight: 8 threads finding it missing at once make one token request, and a
worker finding another worker's lease on the shared cache waits for that worker's token instead of asking DGFiP."""

import threading

import httpx
import pytest
import respx
from django.core.cache import cache

from impot_client import client
from tests.impot_client.test_client import ANSWER, API_URL, FC_TOKEN, TODAY, TOKEN_URL, impot_settings, sleeps  # noqa: F401

THREADS = 8


def run_in_threads(target, count):
    errors = []

    def guarded():
        try:
            target()
        except Exception as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


@pytest.fixture
def all_waiting(monkeypatch):
    """Set once every thread has asked for the token: the token endpoint answers only then, so that without the
    single-flight every thread would have found the cache empty and asked DGFiP too."""
    entered, lock, event = [0], threading.Lock(), threading.Event()
    token = client.Lookup.token

    def counting_token(self):
        with lock:
            entered[0] += 1
            if entered[0] >= THREADS:
                event.set()
        return token(self)

    monkeypatch.setattr(client.Lookup, "token", counting_token)
    return event


def test_eight_threads_finding_no_token_make_one_token_request(all_waiting):
    issued = []

    def issue(request):
        all_waiting.wait(timeout=10)
        issued.append(request)
        return httpx.Response(200, json={"access_token": f"app-token-{len(issued)}", "expires_in": 3600})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(side_effect=issue)
        route = router.get(f"{API_URL}/situations/ir/assiettes/annrev/2025").respond(200, json=ANSWER)
        run_in_threads(lambda: client.fetch_with_franceconnect(FC_TOKEN, today=TODAY), THREADS)

    assert all_waiting.is_set()
    assert len(issued) == 1
    assert route.call_count == THREADS
    assert {call.request.headers["Authorization"] for call in route.calls} == {"Bearer app-token-1"}


def test_eight_threads_at_the_token_expiry_make_one_token_request(all_waiting):
    """The same at each expiry under load: the token dropped from the cache, everyone finds it missing."""
    issued = []

    def issue(request):
        if issued:  # the first token is handed out before the threads start
            all_waiting.wait(timeout=10)
        issued.append(request)
        return httpx.Response(200, json={"access_token": f"app-token-{len(issued)}", "expires_in": 3600})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(side_effect=issue)
        route = router.get(f"{API_URL}/situations/ir/assiettes/annrev/2025").respond(200, json=ANSWER)
        lookup = client.franceconnect_lookup(FC_TOKEN)
        lookup.run(TODAY)
        cache.delete(lookup.token_key())  # expired
        run_in_threads(lambda: client.fetch_with_franceconnect(FC_TOKEN, today=TODAY), THREADS)

    assert len(issued) == 2
    assert [call.request.headers["Authorization"] for call in route.calls].count("Bearer app-token-2") == THREADS


def test_a_worker_waits_for_the_token_another_worker_is_requesting(monkeypatch):
    """Another process holds the lease (it is asking DGFiP): this one asks nothing and uses the token it caches."""
    polled = threading.Event()

    def poll(seconds):
        polled.set()
        threading.Event().wait(seconds)

    monkeypatch.setattr(client, "poll", poll)
    lookup = client.franceconnect_lookup(FC_TOKEN)
    key = lookup.token_key()
    assert cache.add(f"{key}:lease", "other-worker", 60)
    with respx.mock(assert_all_called=False) as router:
        token_route = router.post(TOKEN_URL).respond(200, json={"access_token": "mine", "expires_in": 3600})
        route = router.get(f"{API_URL}/situations/ir/assiettes/annrev/2025").respond(200, json=ANSWER)
        waiting = threading.Thread(target=lookup.run, args=(TODAY,))
        waiting.start()
        polled.wait(timeout=10)  # it found the lease and waits
        cache.set(key, "from-the-other-worker", 3600)  # the other worker got its answer
        cache.delete(f"{key}:lease")
        waiting.join(timeout=30)

    assert not waiting.is_alive()
    assert polled.is_set()
    assert (token_route.call_count, lookup.token_requests) == (0, 0)
    assert route.calls.last.request.headers["Authorization"] == "Bearer from-the-other-worker"


def test_the_lease_is_released_when_the_token_request_fails():
    """A refused token request does not leave the others waiting for the lease to expire."""
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).respond(401, json={"error": "invalid_client"})
        lookup = client.franceconnect_lookup(FC_TOKEN)
        with pytest.raises(client.AccessRefused):
            lookup.run(TODAY)

    assert cache.get(f"{lookup.token_key()}:lease") is None


def test_a_refused_token_is_not_dropped_once_another_thread_replaced_it():
    """After a 401, the cached token is dropped only if it is still the refused one: a fresh token another thread
    already cached is kept, so a burst of 401s at an expiry does not start a burst of token requests."""
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).respond(200, json={"access_token": "refused", "expires_in": 3600})
        lookup = client.franceconnect_lookup(FC_TOKEN)
        key = lookup.token_key()

        def refused_then_replaced(request):
            if request.headers["Authorization"] == "Bearer refused":
                cache.set(key, "fresh", 3600)  # another thread got a new token meanwhile
                return httpx.Response(401)
            return httpx.Response(200, json=ANSWER)

        route = router.get(f"{API_URL}/situations/ir/assiettes/annrev/2025").mock(side_effect=refused_then_replaced)
        lookup.run(TODAY)

    assert [call.request.headers["Authorization"] for call in route.calls] == ["Bearer refused", "Bearer fresh"]
    assert lookup.token_requests == 1
