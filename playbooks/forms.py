from django import forms

from incidents.models import (
    Connector,
    Incident,
    IncidentType,
    Integration,
    Person,
    Service,
    Severity,
    Team,
)

from .models import Playbook

MAX_NUMBER = 2_147_483_647


class PlaybookForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=300, required=False, help_text="When to reach for it, in one sentence."
    )
    incident_type = forms.ChoiceField(
        choices=[("", "Any type"), *IncidentType.choices], required=False,
        help_text="Set, its checklist is added only to incidents of this type.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("tier", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Its checklist is added to incidents that affect one of these (and match the "
        "type, connectors and alert sources below, where set).",
    )
    connectors = forms.ModelMultipleChoiceField(
        queryset=Connector.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Set, its checklist is added only to incidents about one of these connectors.",
    )
    integrations = forms.ModelMultipleChoiceField(
        queryset=Integration.objects.select_related("service").order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Alert sources",
        help_text="Set, its checklist is added only to incidents one of these raised.",
    )
    owner_team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"))
    review_interval_days = forms.IntegerField(
        min_value=1, max_value=3650, initial=90, label="Review every (days)"
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "class": "markdown"}),
        help_text="Markdown. Do not copy owners, on-call or contact details in: the page "
        "shows them live from the catalog.",
    )
    checklist = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One step per line; each becomes a task on the incident.",
    )
    note = forms.CharField(max_length=200, required=False, label="What changed")

    @classmethod
    def for_playbook(cls, playbook: Playbook, data=None):
        version = playbook.current
        initial = {
            "title": playbook.title,
            "summary": playbook.summary,
            "incident_type": playbook.incident_type,
            "services": list(playbook.services.all()),
            "connectors": list(playbook.connectors.all()),
            "integrations": list(playbook.integrations.all()),
            "owner_team": playbook.owner_team,
            "review_interval_days": playbook.review_interval_days,
            "body": version.body if version else "",
            "checklist": version.checklist if version else "",
        }
        return cls(data=data, initial=initial)


class AttachForm(forms.Form):
    incident = forms.IntegerField(
        min_value=1, max_value=MAX_NUMBER, label="Incident number", help_text="e.g. 42 for INC-42"
    )

    def clean_incident(self):
        number = self.cleaned_data["incident"]
        incident = Incident.objects.filter(pk=number).first()
        if incident is None:
            raise forms.ValidationError(f"There is no INC-{number}.")
        if not incident.is_open:
            raise forms.ValidationError(f"INC-{number} is no longer open.")
        return incident


class DrillForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="e.g. Quarterly payments drill")
    playbook = forms.ModelChoiceField(
        queryset=Playbook.objects.order_by("title"),
        required=False,
        help_text="The scenario's playbook; its checklist goes on the drill incident.",
    )
    scenario = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="What is pretended to be broken. It is the drill incident's summary.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("tier", "name"),
        widget=forms.CheckboxSelectMultiple,
        label="Target services",
    )
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.RadioSelect)

    def clean(self):
        data = super().clean()
        if not data.get("scenario", "").strip() and not data.get("playbook"):
            raise forms.ValidationError("Describe the scenario, or choose its playbook.")
        return data


class AddStakeholderForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.order_by("name"))
    reach_window_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, initial=15, label="Reach window (minutes)"
    )


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label="Start at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


def window_field_name(stakeholder_id: int) -> str:
    return f"window-{stakeholder_id}"


def remove_field_name(stakeholder_id: int) -> str:
    return f"remove-{stakeholder_id}"


class WindowsForm(forms.Form):
    """One reach window per stakeholder, and a box to drop each."""

    def __init__(self, *args, stakeholders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stakeholders = list(stakeholders)
        for stakeholder in self.stakeholders:
            self.fields[window_field_name(stakeholder.pk)] = forms.IntegerField(
                min_value=1,
                max_value=24 * 60,
                initial=stakeholder.reach_window_minutes,
                label=f"Reach window for {stakeholder.person_name} (minutes)",
            )
            self.fields[remove_field_name(stakeholder.pk)] = forms.BooleanField(
                required=False, label=f"Drop {stakeholder.person_name}"
            )

    def rows(self):
        return [
            (s, self[window_field_name(s.pk)], self[remove_field_name(s.pk)])
            for s in self.stakeholders
        ]

    def windows(self) -> dict[int, int]:
        return {s.pk: self.cleaned_data[window_field_name(s.pk)] for s in self.stakeholders}

    def removed(self) -> list[int]:
        return [s.pk for s in self.stakeholders if self.cleaned_data[remove_field_name(s.pk)]]
