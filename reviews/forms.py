"""Forms of the reviews pages. They only read input: the workflows live in ``services``."""

from django import forms

from incidents.models import Connector, Person, Service, Severity, Team

from .models import ActionItem, DistributionList, Feedback, NearMiss, Review

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewSectionsForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = [
            "narrative", "cause_class", "cause_analysis", "contributing_factors",
            "lessons_learned",
        ]
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 5}),
            "cause_analysis": forms.Textarea(attrs={"rows": 6}),
            "contributing_factors": forms.Textarea(attrs={"rows": 4}),
            "lessons_learned": forms.Textarea(attrs={"rows": 5}),
        }


class ReviewPlanForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        queryset=Person.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="They and incident commanders write the review; they are reminded.",
    )
    due_on = forms.DateField(label="Due on", widget=DATE_INPUT)


class ActionItemForm(forms.ModelForm):
    impact = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, help_text="1 barely helps · 5 prevents a repeat."
    )
    effort = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, help_text="1 an hour's work · 5 weeks of work."
    )

    class Meta:
        model = ActionItem
        fields = [
            "title", "description", "owner_team", "owner_person", "due_on", "impact", "effort",
        ]
        widgets = {"due_on": DATE_INPUT, "description": forms.Textarea(attrs={"rows": 2})}
        labels = {"owner_team": "Owner team", "owner_person": "Owner (person)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.order_by("name")
        self.fields["owner_person"].queryset = Person.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("owner_team") and not cleaned.get("owner_person"):
            raise forms.ValidationError("Give the action item an owner: a team, a person or both.")
        return cleaned


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    note = forms.CharField(
        max_length=300, required=False, help_text="Required when dropping the item."
    )


class NearMissForm(forms.ModelForm):
    class Meta:
        model = NearMiss
        fields = ["service", "what_happened", "potential_impact", "potential_severity"]
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 4}),
            "potential_impact": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("tier", "name")


class TriageForm(forms.Form):
    state = forms.ChoiceField(
        label="Outcome",
        choices=[
            (NearMiss.State.ACCEPTED, NearMiss.State.ACCEPTED.label),
            (NearMiss.State.DISMISSED, NearMiss.State.DISMISSED.label),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text="Required when dismissing it.",
    )


class PromoteForm(forms.Form):
    severity = forms.ChoiceField(
        choices=Severity.choices, help_text="Sets when the review is due."
    )


class FeedbackForm(forms.Form):
    about = forms.ChoiceField(choices=Feedback.About.choices, widget=forms.RadioSelect)
    playbook = forms.ModelChoiceField(queryset=None, required=False)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    connector = forms.ModelChoiceField(queryset=Connector.objects.none(), required=False)
    tool_name = forms.CharField(
        label="Which tool", max_length=100, required=False,
        help_text="Tooling feedback goes to the owner team of the most critical service hit.",
    )
    rating = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect,
        help_text="1 got in the way · 5 helped a lot.",
    )
    text = forms.CharField(label="What worked, what did not", widget=forms.Textarea(attrs={
        "rows": 4,
    }))

    def __init__(self, *args, subjects: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["playbook"].queryset = subjects["playbooks"]
        self.fields["service"].queryset = subjects["services"]
        self.fields["connector"].queryset = subjects["connectors"]

    def clean(self):
        cleaned = super().clean()
        about = cleaned.get("about")
        if about and about != Feedback.About.TOOLING and not cleaned.get(about):
            self.add_error(about, "Choose which one the feedback is about.")
        if about == Feedback.About.TOOLING and not cleaned.get("tool_name", "").strip():
            self.add_error("tool_name", "Name the tool.")
        return cleaned


class DistributionListForm(forms.ModelForm):
    class Meta:
        model = DistributionList
        fields = ["name", "description", "tier", "services", "people", "teams", "audiences",
                  "active"]
        widgets = {
            "services": forms.SelectMultiple(attrs={"size": 8}),
            "people": forms.SelectMultiple(attrs={"size": 8}),
            "teams": forms.SelectMultiple(attrs={"size": 5}),
            "audiences": forms.SelectMultiple(attrs={"size": 4}),
        }
