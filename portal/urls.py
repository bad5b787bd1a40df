from django.contrib import admin
from django.urls import include, path

from incidents.views import ack as ack_views

from . import views
from .password_reset import ThrottledPasswordResetView

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.live, name="live"),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("ack/<str:token>/", ack_views.ack, name="ack"),
    path("", include("incidents.urls")),
    path("", include("playbooks.urls")),
    path("", include("reviews.urls")),
]

handler404 = "portal.views.page_not_found"
