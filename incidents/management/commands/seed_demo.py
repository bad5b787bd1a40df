from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents import demo
from incidents.search import search_index_rebuild


class Command(BaseCommand):
    help = "Build (or refresh) the demo organisation and its logins. Safe to run again."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates published logins; it never runs in production.")
        demo.seed()
        # The demo writes its past incidents, notes and updates as rows: index them for the
        # incidents list's search as the workflows would have.
        search_index_rebuild()
        self.stdout.write(self.style.SUCCESS("Demo organisation ready. Demo logins:"))
        for username, (full_name, role, _team, _title) in demo.LOGINS.items():
            self.stdout.write(f"  {username:<10} {demo.DEMO_PASSWORD}   {full_name} · {role}")
