"""History pages that also show the rows edited through an admin's inlines.

A person's contact methods and notification rules, or a rotation's layers and overrides, are
edited on the parent's page but kept in their own history tables; a roster admin asking "who
changed this person, and when" expects to see those changes on the person's history page too.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

# Enough to answer "what changed lately"; the full story stays in each model's own history.
RELATED_HISTORY_LIMIT = 50


@dataclass
class RelatedHistory:
    title: str
    records: list


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history page lists related histories below the object's own."""

    object_history_template = "admin/incidents/object_history.html"

    def related_histories(
        self, object_id: int
    ) -> list[tuple[str, QuerySet, Callable[[object], str]]]:
        """(title, historical records, describe) for rows edited with this object.

        ``describe`` names one historical record from its own fields: the model's ``__str__``
        may follow a relation to a row that no longer exists.
        """
        return []

    def history_view(self, request, object_id, extra_context=None):
        # The admin routes any path segment here; a non-numeric id would crash the lookups.
        if not str(object_id).isdigit():
            raise Http404("No such record.")
        sections = [
            RelatedHistory(title, self._with_deltas(records, describe))
            for title, records, describe in self.related_histories(int(object_id))
        ]
        context = {"related_histories": sections, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context=context)

    def _with_deltas(self, records: QuerySet, describe) -> list:
        """The newest records, each with ``history_delta_changes`` against its previous version.

        Diffing happens in Python over one query; asking each record for its ``prev_record``
        would cost a query per row.
        """
        records = list(
            records.select_related("history_user").order_by("-history_date", "-history_id")[
                :RELATED_HISTORY_LIMIT
            ]
        )
        model = records[0].instance_type if records else None
        newer_by_object: dict[int, object] = {}
        # Walk newest to oldest: each record is the previous version of the newer one seen.
        for record in records:
            record.summary = describe(record)
            newer = newer_by_object.get(record.id)
            if newer is not None:
                delta = newer.diff_against(record)
                helper = HistoricalRecordContextHelper(model, newer)
                newer.history_delta_changes = helper.context_for_delta_changes(delta)
            newer_by_object[record.id] = record
        return records
