"""Forms for declaring an incident and for the actions on its page.

Each action form on the incident page has its own prefix (the action's name), so that fields
with the same name in different forms (``reason``, ``kind``) never collide in one page.
"""

import secrets

from django import forms

from portal.text import PlainLineField

from .models import (
    Alert,
    Decision,
    Incident,
    IncidentRoleKind,
    IncidentStatus,
    IncidentType,
    Person,
    Service,
    Severity,
    Task,
)

# The largest primary key the databases store; a bigger number in a form names no incident.
MAX_NUMBER = 2**63 - 1


class ServiceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · tier {obj.tier} · {obj.business_process}"


def _services():
    return Service.objects.order_by("tier", "name")


def _people():
    return Person.objects.order_by("name")


class DeclareForm(forms.Form):
    title = PlainLineField(
        max_length=200,
        help_text="What is broken, as a customer or a colleague would say it.",
    )
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.RadioSelect)
    services = ServiceChoiceField(
        queryset=_services(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Affected services",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        label="What is known",
    )
    incident_type = forms.ChoiceField(
        choices=[("", "Not known yet"), *IncidentType.choices],
        required=False,
        label="Type",
        help_text="What it is about: the playbooks for this type are attached. "
        "Can change later.",
    )
    is_drill = forms.BooleanField(
        required=False,
        label="This is a drill",
        help_text="A drill runs like a real incident but is marked as one everywhere.",
    )
    # One per rendering of the form (``new_declare_token``): the same form posted twice —
    # a double click, a retried request — declares one incident.
    token = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "This form is damaged: open the declare page again."},
    )
    alert = forms.ModelChoiceField(
        queryset=Alert.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "The alert this form was opened from is gone."},
    )


def new_declare_token() -> str:
    return secrets.token_urlsafe(24)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Note")


class UnacknowledgeForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


class StatusForm(forms.Form):
    to = forms.ChoiceField(choices=IncidentStatus.choices, label="New status")
    note = forms.CharField(max_length=500, required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        help_text="Why the incident is not over after all.",
    )


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = forms.CharField(max_length=500, required=False)


class SeatForm(forms.Form):
    """Which seat: a standard role, or a custom one with its name."""

    kind = forms.ChoiceField(choices=IncidentRoleKind.choices, label="Role")
    custom_name = forms.CharField(max_length=60, required=False, label="Custom role name")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        name = (cleaned.get("custom_name") or "").strip()
        if kind == IncidentRoleKind.CUSTOM and not name:
            self.add_error("custom_name", "Name the custom role.")
        cleaned["custom_name"] = name if kind == IncidentRoleKind.CUSTOM else ""
        return cleaned


class AssignRoleForm(SeatForm):
    person = forms.ModelChoiceField(queryset=_people(), empty_label="Choose a person")


class DecisionForm(forms.Form):
    decision = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="What was decided"
    )
    kind = forms.ChoiceField(choices=Decision.Kind.choices, initial=Decision.Kind.OTHER)
    options_considered = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="Why"
    )
    reversible = forms.BooleanField(required=False, initial=True, label="Can be reversed")


class OutcomeForm(forms.Form):
    decision = forms.ModelChoiceField(queryset=Decision.objects.none(), widget=forms.HiddenInput)
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].queryset = Decision.objects.filter(incident=incident)


class TaskAddForm(forms.Form):
    title = forms.CharField(max_length=200, label="Task")
    assignee = forms.ModelChoiceField(queryset=_people(), required=False, empty_label="Nobody yet")


class TaskDoneForm(forms.Form):
    task = forms.ModelChoiceField(queryset=Task.objects.none(), widget=forms.HiddenInput)
    done = forms.TypedChoiceField(
        choices=[("1", "done"), ("0", "not done")], coerce=lambda value: value == "1"
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = Task.objects.filter(incident=incident)


class ServicesForm(forms.Form):
    services = ServiceChoiceField(
        queryset=_services(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Affected services",
    )


class IncidentTypeForm(forms.Form):
    incident_type = forms.ChoiceField(
        choices=[("", "Not known yet"), *IncidentType.choices], required=False, label="Type"
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(
        min_value=1,
        max_value=MAX_NUMBER,
        label="Duplicate of incident number",
        help_text="This incident is resolved as a duplicate; its tasks move to that one.",
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident

    def clean_into(self):
        number = self.cleaned_data["into"]
        if number == self.incident.pk:
            raise forms.ValidationError("An incident cannot be a duplicate of itself.")
        target = Incident.objects.filter(pk=number).first()
        if target is None:
            raise forms.ValidationError(f"There is no incident INC-{number}.")
        return target
