"""Whatever the interleaving of replies, duplicates, slow or failing participants,
dead letters replayed, deadlines and cancellations, the saga decides what the order
service needs to hear, and the world agrees with it:

- safety: the order is confirmed (the `committed` flag) only with the money taken and
  the stock held, cancelled (the `cancelled` flag) only once every undo was confirmed,
  with nothing kept; each at most once, never both; a finished saga never changes;
- liveness: once the world answers, every saga finishes; a run nothing disturbed ends as
  its world says (a healthy order completes, an empty shelf is `out_of_stock`, a bad
  card `declined`);
- reasons: a customer's cancel accepted before anything was undone is
  `cancelled_by_customer`, and only that; a step is timed out only after its command
  was sent `max_attempts` times.

The participants behave as the real ones do (`shopflow_testing.saga_world`). The
mutants in `test_engine_mutants.py` are broken engines this test must catch.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopflow_kit.saga import Saga
from shopflow_testing.saga_world import picking, run_saga
from shopflow_testing.sample_saga import DEFINITION

pytestmark = pytest.mark.unit

SEEDS = st.integers(0, 2**64)  # each seed one run of random choices (`picking`)


@settings(max_examples=1_000, deadline=None)
@given(in_stock=st.booleans(), card_ok=st.booleans(), seed=SEEDS)
def test_the_saga_tells_the_order_what_the_world_agrees_with(in_stock, card_ok, seed):
    run_saga(Saga(DEFINITION), in_stock, card_ok, picking(seed))
