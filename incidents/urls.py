from django.urls import path

from .views import board as board_views
from .views import catalog
from .views import dashboard as dashboard_views
from .views import declare as declare_views
from .views import escalation as escalation_views
from .views import incident as incident_views
from .views import incident_list as incident_list_views
from .views import integrations as integration_views
from .views import notifications as notification_views
from .views import oncall as oncall_views
from .views import profile as profile_views
from .views import status as status_views
from .views import updates as update_views

app_name = "incidents"

# Each part adds its routes in its own block; keep the blocks apart. The intake endpoints
# come first: URLs are tried in order, and in an alert storm they take most requests.
urlpatterns = []

# Alert integrations: the intake endpoints (no login, the key is the credential) and the
# portal's integration pages
urlpatterns += [
    path("integrations/pagerduty/v2/enqueue", integration_views.pagerduty_enqueue,
         name="intake_pagerduty"),
    path("integrations/alertmanager/<str:key>/", integration_views.alertmanager_webhook,
         name="intake_alertmanager"),
    path("integrations/grafana/<str:key>/", integration_views.grafana_webhook,
         name="intake_grafana"),
    path("integrations/webhook/<str:key>/", integration_views.generic_webhook,
         name="intake_webhook"),
    path("integrations/", integration_views.integration_list, name="integration_list"),
    path("integrations/<id:pk>/", integration_views.integration_detail,
         name="integration_detail"),
    path("integrations/<id:pk>/test/", integration_views.integration_test,
         name="integration_test"),
]

# Service catalog
urlpatterns += [
    path("services/", catalog.service_list, name="service_list"),
    path("services/<slug:slug>/", catalog.service_detail, name="service_detail"),
]

# Self-service profile (contact methods, notification rules, time zone)
urlpatterns += [
    path("profile/", profile_views.profile, name="profile"),
    path("people/<id:pk>/profile/", profile_views.person_profile, name="person_profile"),
]

# Live incident board and its quick actions
urlpatterns += [
    path("board/", board_views.board, name="board"),
    path(
        "board/<id:number>/<slug:action>/", board_views.board_action, name="board_action"
    ),
]

# Who is on call, and each rotation as a calendar feed (the .ics route first)
urlpatterns += [
    path("oncall/<slug:slug>.ics", oncall_views.oncall_calendar, name="oncall_calendar"),
    path("oncall/", oncall_views.oncall, name="oncall"),
]

# Every incident, open and closed: filters, full-text search, CSV
urlpatterns += [
    path("incidents/", incident_list_views.incident_list, name="incident_list"),
]

# Declaring an incident, and the incident page with its actions and live timeline
urlpatterns += [
    path("incidents/new/", declare_views.incident_new, name="incident_new"),
    path("incidents/<id:number>/", incident_views.incident_detail, name="incident_detail"),
]

# Escalation policies and each incident's plan (manual paging, escalate now, re-apply)
urlpatterns += [
    path("escalation/", escalation_views.escalation_matrix, name="escalation_matrix"),
    path(
        "incidents/<id:number>/escalation/",
        escalation_views.escalation_plan,
        name="escalation_plan",
    ),
]

# Notifications: an incident's delivery log, one notification, channel health, test sends
urlpatterns += [
    path(
        "incidents/<id:number>/notifications/",
        notification_views.incident_notifications,
        name="incident_notifications",
    ),
    path("notifications/health/", notification_views.notification_health,
         name="notification_health"),
    path("notifications/<id:pk>/", notification_views.notification_detail,
         name="notification_detail"),
    path("contact-methods/<id:pk>/test/", notification_views.notification_test,
         name="notification_test"),
]


# Communications: an incident's status updates, followed services, maintenance windows, and
# the public status page with its feed and email subscription (no login)
urlpatterns += [
    path("incidents/<id:number>/updates/", update_views.incident_updates,
         name="incident_updates"),
    path("updates/following/", update_views.update_following, name="update_following"),
    path("maintenance/", status_views.maintenance, name="maintenance"),
    path("status/", status_views.status_page, name="status_page"),
    path("status/feed.atom", status_views.status_feed, name="status_feed"),
    path("status/history/", status_views.status_history, name="status_history"),
    path("status/subscribe/", status_views.status_subscribe, name="status_subscribe"),
    path("status/confirm/<str:token>/", status_views.status_confirm, name="status_confirm"),
    path("status/unsubscribe/<str:token>/", status_views.status_unsubscribe,
         name="status_unsubscribe"),
]

# Leadership dashboard: live "now" panels, response metrics, charts and CSV exports
urlpatterns += [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
]
