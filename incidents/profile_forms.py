"""Forms of the profile page: a person's time zone, contact methods and notification rules.

The addresses are checked by the models' own ``clean()`` (``contact_address_error``), so the
profile page, the admin and the CSV import give the same answers.
"""

import zoneinfo

from django import forms

from .models import ContactMethod, NotificationRule, Person, Urgency

# Escalation policies page within minutes; a rule waiting longer than a day is a typo.
MAX_DELAY_MINUTES = 24 * 60


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        help_text="Times on the portal and in your pages are shown in this zone.",
    )

    class Meta:
        model = Person
        fields = ["time_zone"]


class ContactMethodForm(forms.ModelForm):
    class Meta:
        model = ContactMethod
        fields = ["kind", "label", "address"]

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.person = person
        self.fields["address"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        cleaned = super().clean()
        kind, address = cleaned.get("kind"), cleaned.get("address")
        # The unique constraint includes ``person``, which is not a form field, so the
        # ModelForm would skip it and the save would fail; check it here instead.
        others = ContactMethod.objects.filter(person=self.instance.person).exclude(
            pk=self.instance.pk
        )
        if kind and address and others.filter(kind=kind, address=address).exists():
            raise forms.ValidationError("This contact method is already on the list.")
        return cleaned

    def save(self, commit=True):
        # A person fixing a failed address expects it to be tried again.
        if self.instance.pk and "address" in self.changed_data:
            self.instance.failure_reason = ""
            self.instance.failed_at = None
        return super().save(commit)


class NotificationRuleForm(forms.ModelForm):
    urgency = forms.ChoiceField(choices=Urgency.choices, widget=forms.HiddenInput)
    delay_minutes = forms.IntegerField(
        min_value=0,
        max_value=MAX_DELAY_MINUTES,
        initial=0,
        label="After (minutes)",
        help_text="Minutes after the page starts; 0 for at once.",
    )

    class Meta:
        model = NotificationRule
        fields = ["urgency", "contact_method", "delay_minutes"]
        labels = {"contact_method": "Contact method"}

    def __init__(self, *args, person: Person, methods: list[ContactMethod], **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.person = person
        field = self.fields["contact_method"]
        field.queryset = ContactMethod.objects.filter(person=person)
        # Fixed choices from the list the page already loaded: one query per page, not per form.
        field.choices = [("", "Choose a contact method"), *((m.pk, str(m)) for m in methods)]

    def clean(self):
        cleaned = super().clean()
        urgency, method = cleaned.get("urgency"), cleaned.get("contact_method")
        others = NotificationRule.objects.filter(person=self.instance.person).exclude(
            pk=self.instance.pk
        )
        if urgency and method and others.filter(urgency=urgency, contact_method=method).exists():
            raise forms.ValidationError("There is already a rule for this method.")
        return cleaned
