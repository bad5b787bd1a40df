from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents, catalog and rosters"

    def ready(self):
        # Importing these registers the timer kinds and notification channels they define.
        from .escalation import engine  # noqa: F401
        from .notifications import channels  # noqa: F401
