"""A filtered, sorted and paged table with its CSV export: the catalog and the incidents list.

django-filter reads the query string, django-tables2 sorts and pages; what is left to us is how
they meet: an invalid filter never passes for an answer, a page number that is not one shows a
page anyway, and ``?_export=csv`` downloads every row the filters select.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.utils import timezone
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

ROWS_PER_PAGE = 50
EXPORT_PARAM = "_export"


def filtered_table(request, *, filter_set, table_class, when_invalid, csv_name: str):
    """``(csv_response, None)`` for a valid export, else ``(None, context)`` for the page.

    ``when_invalid`` is the queryset shown beside the form's errors when a filter is invalid:
    a list filtered by only the valid half of the form would look like an answer and be wrong.
    """
    filters_valid = filter_set.is_valid()
    table = table_class(filter_set.qs if filters_valid else when_invalid)
    RequestConfig(request, paginate=False).configure(table)  # sorting only; paging below

    wants_csv = request.GET.get(EXPORT_PARAM) == TableExport.CSV
    if wants_csv and filters_valid:
        filename = f"{csv_name}-{timezone.localdate():%Y-%m-%d}.csv"
        return TableExport(TableExport.CSV, table).response(filename=filename), None

    paginate(table, request.GET.get(table.prefixed_page_field, "1"))
    export_query = request.GET.copy()
    export_query.pop(table.prefixed_page_field, None)
    export_query[EXPORT_PARAM] = TableExport.CSV
    return None, {
        "filter": filter_set,
        "filters_valid": filters_valid,
        "export_refused": wants_csv and not filters_valid,
        "table": table,
        "export_url": f"?{export_query.urlencode()}",
        "sort": request.GET.get(table.prefixed_order_by_field, ""),
    }


def paginate(table, page: str, per_page: int = ROWS_PER_PAGE) -> None:
    """A page number that is not one shows the first page, one past the end the last
    (django-tables2 leaves these errors to its caller)."""
    try:
        table.paginate(page=page, per_page=per_page)
    except PageNotAnInteger:
        table.paginate(page=1, per_page=per_page)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, per_page=per_page)
