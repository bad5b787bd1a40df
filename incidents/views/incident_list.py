"""/incidents/: every incident, open and closed, to filter, search, sort and export."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal import roles
from portal.roles import role_required

from ..listing.filters import IncidentFilter
from ..listing.tables import IncidentTable
from ..visibility import incidents_visible_to
from .listing import filtered_table


@require_safe
@role_required(roles.LEADERSHIP, *roles.OPERATORS)
def incident_list(request):
    """Every incident the viewer may see, filtered and sorted from the query string;
    ``?_export=csv`` downloads what the filters select (every page)."""
    incidents = incidents_visible_to(request.user).prefetch_related("services")
    export, context = filtered_table(
        request,
        filter_set=IncidentFilter(request.GET, queryset=incidents),
        table_class=IncidentTable,
        when_invalid=incidents.none(),  # nothing rather than everything; the form says why
        csv_name="incidents",
    )
    if export is not None:
        return export
    status = 200 if context["filters_valid"] else 400
    return render(request, "incidents/incident_list.html", context, status=status)
