"""The timeline is append-only: events are never edited or deleted; a correction is a new
event."""

import pytest
from django.db import transaction

from incidents.models import TimelineEvent
from incidents.services import TransitionRefused, incident_add_note, incident_declare
from incidents.services.timeline import record


@pytest.fixture
def incident(db):
    return incident_declare(title="Payouts late", severity="sev2", declared_by=None)


@pytest.fixture
def note(incident, cast):
    return incident_add_note(
        incident=incident, text="Airtable base is read-only", by=cast["responder"]
    )


def stored(event) -> TimelineEvent:
    return TimelineEvent.objects.get(pk=event.pk)


def test_saving_an_existing_event_again_is_refused(note):
    note.text = "Nothing happened"
    with pytest.raises(TypeError, match="append-only"):
        note.save()
    assert stored(note).text == "Airtable base is read-only"


def test_saving_only_some_fields_is_refused_too(note):
    note.actor_name = "Someone else"
    with pytest.raises(TypeError, match="append-only"):
        note.save(update_fields=["actor_name"])
    assert stored(note).actor_name == "Responder"


def test_deleting_an_event_is_refused(note):
    with pytest.raises(TypeError, match="append-only"):
        note.delete()
    assert TimelineEvent.objects.filter(pk=note.pk).exists()


def test_a_queryset_update_is_refused(note):
    with pytest.raises(TypeError, match="append-only"):
        TimelineEvent.objects.filter(pk=note.pk).update(text="rewritten")
    assert stored(note).text == "Airtable base is read-only"


def test_a_queryset_delete_is_refused(note):
    with pytest.raises(TypeError, match="append-only"):
        TimelineEvent.objects.all().delete()
    assert TimelineEvent.objects.count() == 2  # declared + the note


def test_the_incidents_related_manager_cannot_rewrite_or_delete_either(incident, note):
    with pytest.raises(TypeError, match="append-only"):
        incident.timeline.update(text="rewritten")
    with pytest.raises(TypeError, match="append-only"):
        incident.timeline.filter(kind="note").delete()
    assert incident.timeline.count() == 2


def test_bulk_update_is_refused(note):
    note.text = "rewritten"
    # bulk_update runs in a transaction of its own; keep the test's transaction usable.
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        TimelineEvent.objects.bulk_update([note], ["text"])
    assert stored(note).text == "Airtable base is read-only"


def test_a_correction_is_a_new_event_and_the_original_stays(incident, note, cast):
    incident_add_note(
        incident=incident,
        text="Correction: the base is writable; the Zap lost its token",
        by=cast["responder"],
    )
    texts = list(incident.timeline.filter(kind="note").values_list("text", flat=True))
    assert texts == [
        "Airtable base is read-only",
        "Correction: the base is writable; the Zap lost its token",
    ]


def test_each_event_keeps_its_kind_actor_time_and_details(incident, cast):
    event = record(incident, TimelineEvent.Kind.ESCALATION, "Step 2 paged", by=None, step=2)
    event = stored(event)
    assert event.kind == "escalation"
    assert event.actor is None
    assert event.actor_name == "Portal"
    assert event.details == {"step": 2}
    assert event.at is not None


def test_the_actor_name_survives_the_account(incident, cast):
    event = incident_add_note(incident=incident, text="Paged Ben", by=cast["comms"])
    cast["comms"].delete()
    event = stored(event)
    assert event.actor is None
    assert event.actor_name == "Comms"


def test_an_empty_note_is_refused(incident, cast):
    with pytest.raises(TransitionRefused, match="needs some text"):
        incident_add_note(incident=incident, text="   ", by=cast["responder"])
    assert incident.timeline.filter(kind="note").count() == 0
