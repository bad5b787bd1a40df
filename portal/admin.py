"""The admin site, opened to the Roster admins role rather than to Django's staff flag."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import roles


class PortalAdminSite(admin.AdminSite):
    site_header = "Incident Portal administration"
    site_title = "Incident Portal admin"
    index_title = "Catalog, rosters and policies"

    def has_permission(self, request):
        return request.user.is_active and roles.has_role(request.user, roles.ROSTER_ADMINS)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_other_roles(request, *args, **kwargs):
            # Logged in without the role: a plain 403, not the admin's login loop.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The admin site is for Roster admins.")
            return inner(request, *args, **kwargs)

        return refuse_other_roles

    def login(self, request, extra_context=None):
        # One login form for the whole portal; the admin's own one insists on is_staff.
        if request.user.is_authenticated:
            raise PermissionDenied("The admin site is for Roster admins.")
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
