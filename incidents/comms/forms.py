"""Forms of the communications pages: drafting an update, huddles, service status,
maintenance windows, following services, and the status page's subscription box."""

from django import forms

from ..models import (
    Audience,
    Person,
    PreparedStatement,
    Service,
    ServiceStatus,
    ServiceSubscription,
    StatusUpdate,
)

DATETIME_HELP = "UTC, e.g. 2026-03-02 14:30."


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _text(label, rows=2, help_text="", max_length=5000):
    # Not required here: the publish workflow names every missing answer in one message.
    return forms.CharField(
        label=label, required=False, max_length=max_length, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class DraftForm(forms.Form):
    what_happened = _text("What happened?")
    current_impact = _text("What is the current impact?")
    being_done = _text("What is being done?")
    responsible = _text(
        "Who is responsible?", rows=1,
        help_text="Names are for internal readers; customers and partners never see them.",
    )
    expected_timeline = _text("What is the expected timeline?")
    next_update_at = forms.DateTimeField(
        label="Next update at", required=False, widget=DateTimeLocalInput(),
        help_text="UTC. Empty: the update cadence of the severity decides.",
    )
    technical_detail = _text(
        "Technical detail (technical audience only)", rows=2,
        help_text="Components, error messages, links to logs.",
    )
    customer_headline = forms.CharField(
        label="Headline for customers", max_length=200, required=False,
        help_text="Empty: “Disruption to” the affected public services.",
    )
    customer_wording = _text(
        "Customer wording (optional)", rows=4,
        help_text="Written for customers and partners; used instead of the answers above.",
    )
    visibility = forms.ChoiceField(
        choices=StatusUpdate.Visibility.choices, initial=StatusUpdate.Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )
    confirm_flagged = forms.BooleanField(
        required=False, label="I have checked the flagged words: publish as written.",
    )
    statement = forms.ModelChoiceField(
        queryset=PreparedStatement.objects.filter(active=True), required=False,
        label="Prepared statement", empty_label="Choose an approved statement…",
    )

    def __init__(self, *args, public_allowed: bool = True, **kwargs):
        """``public_allowed`` False: the poster may not publish to customers at this
        severity, so the form offers an internal update only (a posted "public" is refused
        as a choice the form does not offer)."""
        super().__init__(*args, **kwargs)
        if not public_allowed:
            field = self.fields["visibility"]
            field.choices = [
                (value, label) for value, label in field.choices
                if value == StatusUpdate.Visibility.INTERNAL
            ]


# What a new draft starts from: the last update's words; the next-update time is new each
# time (empty: the cadence decides), and so is the prepared statement.
CARRIED_OVER = (
    "what_happened", "current_impact", "being_done", "responsible", "expected_timeline",
    "technical_detail", "customer_headline", "customer_wording", "visibility",
)


def draft_initial(last, *, public_allowed: bool) -> dict:
    """``last``: the last StatusUpdate, or a waiting Draft (the final update of a resolved
    incident), or None."""
    if last is None:
        return {}
    initial = {name: getattr(last, name) for name in CARRIED_OVER}
    if not public_allowed:
        initial["visibility"] = StatusUpdate.Visibility.INTERNAL
    return initial


class HuddleForm(forms.Form):
    at = forms.DateTimeField(label="When", widget=DateTimeLocalInput(), help_text=DATETIME_HELP)
    bridge_link = forms.URLField(
        label="Bridge link", max_length=500, assume_scheme="https",
        help_text="The call people join (Zoom, Meet, Teams…).",
    )
    agenda = forms.CharField(max_length=300, required=False)
    invitees = forms.ModelMultipleChoiceField(
        queryset=Person.objects.order_by("name"), widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class ServiceStatusForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none())
    status = forms.ChoiceField(choices=ServiceStatus.choices)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = incident.services.order_by("name")


class MaintenanceForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=3000,
        help_text="Shown on the status page when the window is public: plain words.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), widget=forms.CheckboxSelectMultiple,
    )
    starts_at = forms.DateTimeField(
        label="Starts", widget=DateTimeLocalInput(), help_text=DATETIME_HELP
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=DateTimeLocalInput(), help_text=DATETIME_HELP
    )
    public = forms.BooleanField(required=False, initial=True, label="Show on the status page")
    suppress_paging = forms.BooleanField(
        required=False, initial=True, label="Hold paging for these services during the window",
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The window must end after it starts.")
        return data


class FollowForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"))
    audience = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in ServiceSubscription._meta.get_field("audience").choices
        ],
        initial=Audience.EXECUTIVE,
        label="Wording",
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
