"""The HTTP API's bodies."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shopflow_notification.models import NotificationKind


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    kind: NotificationKind
    recipient: str
    subject: str
    body: str
    created_at: datetime
