"""`manage.py migrate` as the database owner (DATABASE_OWNER_URL, or the local cluster's
owner role), then the application's role granted its privileges on what exists now and,
by default privileges, on what the owner creates later (see gis_app/db_roles.py). Without
an owner configured it is Django's migrate, unchanged."""

from typing import Any

from django.core.management.commands.migrate import Command as MigrateCommand

from gis_app import db_roles


class Command(MigrateCommand):
    help = MigrateCommand.help + " Runs as the database owner; grants the application's role."

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with db_roles.as_owner(alias):
            super().handle(*args, **options)
            if not (options.get("plan") or options.get("check_unapplied")):
                granted = db_roles.grant_app_role(alias)
                if granted and options["verbosity"] >= 2:
                    self.stdout.write(f"Granted the application's role ({granted} statements).")
