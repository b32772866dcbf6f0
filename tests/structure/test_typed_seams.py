"""The seams mypy --strict must see through: a message handler added for a type it does not
take, and a saga command made from a field its data does not have, fail type checking."""

import textwrap
from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

HANDLER_FOR_ANOTHER_TYPE = """
    from sqlalchemy.ext.asyncio import AsyncSession

    from shopflow_contracts.inventory import ReleaseStock, ReserveStock
    from shopflow_kit.messaging import Envelope, MessageHandlers


    async def reserve(session: AsyncSession, command: ReserveStock, envelope: Envelope) -> None:
        print(command.lines, envelope.correlation_id)


    MessageHandlers().add(ReserveStock, reserve)
    MessageHandlers().add(ReleaseStock, reserve)  # line 12
"""

MISSPELT_SAGA_FIELD = """
    from pydantic import BaseModel

    from shopflow_contracts.inventory import CommitStock, StockCommitted
    from shopflow_kit.saga import SagaDefinition, Step


    class Data(BaseModel):
        order_id: str


    def definition() -> SagaDefinition[Data]:
        return SagaDefinition(
            name="misspelt",
            data=Data,
            steps=(
                Step(
                    "commit",
                    send=lambda d: CommitStock(order_id=d.order),
                    to="t",
                    succeeded=StockCommitted,
                ),
            ),
        )
"""


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy's errors in each snippet, by module name: one run (with `make typecheck`'s cache)."""
    folder = tmp_path_factory.mktemp("seams")
    snippets = {"handler": HANDLER_FOR_ANOTHER_TYPE, "saga": MISSPELT_SAGA_FIELD}
    for name, source in snippets.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    config = str(ROOT / "pyproject.toml")
    report, _, _ = api.run(["--config-file", config, *(str(folder / f"{n}.py") for n in snippets)])
    found: dict[str, list[str]] = {name: [] for name in snippets}
    for line in report.splitlines():
        if ": error: " in line:
            where, error = line.split(": error: ", 1)
            found[Path(where.split(":")[0]).stem].append(error)
    return found


def test_a_handler_added_for_a_type_it_does_not_take_fails_type_checking(errors):
    [error] = errors["handler"]

    assert 'Argument 2 to "add" of "MessageHandlers" has incompatible type' in error


def test_a_misspelt_field_of_saga_data_fails_type_checking(errors):
    [error] = errors["saga"]

    assert '"Data" has no attribute "order"' in error
