"""/incidents/: every incident, open and closed, to filter, search, sort and export."""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

from portal import roles
from portal.roles import role_required

from ..listing.filters import IncidentFilter
from ..listing.tables import IncidentTable
from ..visibility import incidents_visible_to

INCIDENTS_PER_PAGE = 50
EXPORT_PARAM = "_export"


@require_safe
@role_required(roles.LEADERSHIP, *roles.OPERATORS)
def incident_list(request):
    """Every incident the viewer may see, filtered and sorted from the query string;
    ``?_export=csv`` downloads what the filters select (every page)."""
    incidents = incidents_visible_to(request.user).prefetch_related("services")
    incident_filter = IncidentFilter(request.GET, queryset=incidents)
    filters_valid = incident_filter.is_valid()
    # An invalid filter shows nothing rather than everything: a list filtered by half the
    # form would look like an answer and be wrong. The form says what to correct.
    table = IncidentTable(incident_filter.qs if filters_valid else incidents.none())
    RequestConfig(request, paginate=False).configure(table)  # sorting only; paging below

    wants_csv = request.GET.get(EXPORT_PARAM) == TableExport.CSV
    if wants_csv and filters_valid:
        filename = f"incidents-{timezone.localdate():%Y-%m-%d}.csv"
        return TableExport(TableExport.CSV, table).response(filename=filename)

    _paginate(table, request.GET.get(table.prefixed_page_field, "1"))
    export_query = request.GET.copy()
    export_query.pop(table.prefixed_page_field, None)
    export_query[EXPORT_PARAM] = TableExport.CSV
    context = {
        "filter": incident_filter,
        "filters_valid": filters_valid,
        "export_refused": wants_csv and not filters_valid,
        "table": table,
        "export_url": f"?{export_query.urlencode()}",
        "sort": request.GET.get(table.prefixed_order_by_field, ""),
    }
    status = 200 if filters_valid else 400
    return render(request, "incidents/incident_list.html", context, status=status)


def _paginate(table, page: str) -> None:
    """A page number that is not one shows the first page, one past the end the last."""
    try:
        table.paginate(page=page, per_page=INCIDENTS_PER_PAGE)
    except PageNotAnInteger:
        table.paginate(page=1, per_page=INCIDENTS_PER_PAGE)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, per_page=INCIDENTS_PER_PAGE)
