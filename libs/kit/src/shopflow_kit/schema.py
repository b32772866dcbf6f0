"""Tables the kit owns in a service's database (the outbox, the inbox, sagas), in versions.

A kit mechanism keeps its rows in the database of each service that uses it, so the
shape of its tables is defined once, here in the kit, as numbered versions: version 1
creates the table, each later version adds what it adds (columns, indexes). A service
declares the latest shape in its models and steps between versions in its migrations:

    OUTBOX.declare(Base.metadata)       # models.py: the table as the code uses it now

    def upgrade() -> None:              # the revision that brought the outbox in
        OUTBOX.migrate(0, 1)

    def downgrade() -> None:
        OUTBOX.migrate(1, 0)

When the kit adds version 2, the models have it at once, and each service adds a
revision with `OUTBOX.migrate(1, 2)`; until then its migration test (`alembic check`)
fails, naming the difference.
"""

from collections.abc import Callable, Sequence

from alembic import op
from sqlalchemy import Column, Index, MetaData, Table
from sqlalchemy.schema import SchemaItem

TableVersion = Callable[[], Sequence[SchemaItem]]
"""What a version adds, made afresh on each call: v1 the table's columns and indexes, a
later one columns or indexes to add."""


class VersionedTable:
    def __init__(self, name: str, *versions: TableVersion) -> None:
        self.name = name
        self._versions = versions

    @property
    def latest(self) -> int:
        return len(self._versions)

    def declare(self, metadata: MetaData) -> Table:
        """The table in its latest version, in `metadata` (again: the same table)."""
        if self.name in metadata.tables:
            return metadata.tables[self.name]
        return Table(self.name, metadata, *(item for add in self._versions for item in add()))

    def migrate(self, from_version: int, to_version: int) -> None:
        """Alembic operations taking the table from one version to another, up or down:
        call it in a migration (`0` is no table at all)."""
        for version in range(from_version + 1, to_version + 1):
            self._upgrade(version)
        for version in range(from_version, to_version, -1):
            self._downgrade(version)

    def _added(self, version: int) -> Sequence[SchemaItem]:
        if not 1 <= version <= self.latest:
            raise ValueError(f"{self.name} has versions 1 to {self.latest}, not {version}")
        return self._versions[version - 1]()

    def _upgrade(self, version: int) -> None:
        added = self._added(version)
        if version == 1:
            # Alembic names constraints and indexes with the migration's target metadata's
            # naming convention, so they are named as the models name them.
            op.create_table(self.name, *added)
            return
        for item in added:
            if isinstance(item, Column):
                op.add_column(self.name, item)
            elif isinstance(item, Index):
                columns = [str(expression) for expression in item.expressions]
                op.create_index(item.name, self.name, columns, unique=item.unique, **item.kwargs)
            else:
                raise TypeError(f"{self.name} v{version}: cannot add {item!r} (not a column)")

    def _downgrade(self, version: int) -> None:
        added = self._added(version)
        if version == 1:
            op.drop_table(self.name)  # its indexes go with it
            return
        for item in reversed(added):
            if isinstance(item, Column):
                op.drop_column(self.name, item.name)
            elif isinstance(item, Index):
                op.drop_index(str(item.name), table_name=self.name)
