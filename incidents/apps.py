from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents, catalog and rosters"

    def ready(self):
        from portal.navigation import register_action

        from . import home

        # Importing these registers the timer kinds and notification channels they define.
        from .escalation import engine  # noqa: F401
        from .notifications import channels  # noqa: F401
        from .services import may_declare

        # The header's Declare button and the home page's sections about one's own work.
        register_action("Declare incident", "incidents:incident_new", may_declare)
        home.register()
