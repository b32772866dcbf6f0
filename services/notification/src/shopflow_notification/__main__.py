"""`python -m shopflow_notification [serve|migrate|revision]`."""

from pathlib import Path

from shopflow_kit.service_command import ServiceCommand
from shopflow_notification.app import build
from shopflow_notification.settings import NotificationSettings

ServiceCommand(
    settings=NotificationSettings,
    create_app=build,
    migrations=Path(__file__).parent / "migrations",
).main()
