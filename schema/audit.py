"""The audit trail, for admins: who wrote what, newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from graph import audit
from schema.context import Context
from schema.errors import translating
from schema.types import PageInfo


@strawberry.type(description="One write: a mutation, an import batch or a key change.")
class AuditEvent:
    data: strawberry.Private[audit.AuditEvent]

    @strawberry.field(description="When it was written.")
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.data.at / 1000, UTC)

    @strawberry.field(description="Who: `key:<id>` for an API key, `sub:<subject>` for a JWT, "
                                  "`cli:<user>` for the command line, `anonymous` in dev mode. Never a secret.")
    def actor(self) -> str:
        return self.data.actor

    @strawberry.field(description="The mutation's field name, `import`, or `keys.create`/`keys.revoke`.")
    def operation(self) -> str:
        return self.data.operation

    @strawberry.field(description=f"The ids the write named (the first {audit.MAX_IDS}).")
    def ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(i) for i in self.data.ids]

    @strawberry.field(description="How many ids the write named in all.")
    def id_count(self) -> int:
        return self.data.id_count


@strawberry.type(description="An edge of the audit trail.")
class AuditEdge:
    node: AuditEvent = strawberry.field(description="The event.")
    cursor: str = strawberry.field(description="Pass as `after` for the events after this one.")


@strawberry.type(description="A page of the audit trail, newest first.")
class AuditConnection:
    edges: list[AuditEdge] = strawberry.field(description="Events with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page is.")

    @strawberry.field(description="The events of this page.")
    def nodes(self) -> list[AuditEvent]:
        return [e.node for e in self.edges]


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail: every mutation, import and key change, newest first, "
                                  "each recorded in the same transaction as its write.")
    async def audit_log(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description=f"Events per page (1 to {audit.MAX_PAGE}).")] = 50,
        after: Annotated[Optional[str], strawberry.argument(description="Cursor of the last event seen.")] = None,  # noqa: UP045
        since: Annotated[Optional[datetime], strawberry.argument(description="Only events at or after this time.")] = None,  # noqa: UP045
        actor: Annotated[Optional[str], strawberry.argument(description="Only this actor, e.g. `key:abc123`.")] = None,  # noqa: UP045
        touched: Annotated[Optional[strawberry.ID], strawberry.argument(description="Only writes that named this id.")] = None,  # noqa: UP045
    ) -> AuditConnection:
        ctx: Context = info.context
        since_ms = int(since.timestamp() * 1000) if since else None

        async def call() -> audit.AuditPage:
            return await audit.read_audit(ctx.store, first=first, after=after, since_ms=since_ms, actor=actor,
                                          touched=str(touched) if touched else None, argument=info.path.key)

        page = await translating(call)
        edges = [AuditEdge(node=AuditEvent(data=e), cursor=e.cursor) for e in page.events]
        return AuditConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next_page, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
