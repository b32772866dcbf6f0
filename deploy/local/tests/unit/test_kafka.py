"""The id a fresh KRaft storage is formatted with: never one the storage tool misreads."""

import itertools

import pytest

from shopflow_stack.kafka import new_cluster_id

pytestmark = pytest.mark.unit

STARTS_WITH_A_DASH = bytes([0xF8]) + bytes(15)  # 0b111110… is "-" in URL-safe base64
PLAIN = bytes(range(16))


def test_an_id_that_would_read_as_an_option_is_drawn_again():
    drawn = iter([STARTS_WITH_A_DASH, STARTS_WITH_A_DASH, PLAIN])

    cluster_id = new_cluster_id(lambda: next(drawn))

    assert cluster_id == "AAECAwQFBgcICQoLDA0ODw"
    assert next(drawn, None) is None  # drawn three times, taken the third


def test_ids_are_kafkas_22_character_url_safe_base64_and_differ():
    ids = {new_cluster_id() for _ in itertools.repeat(None, 200)}

    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
