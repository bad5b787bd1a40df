"""Inlines whose fields are named for screen readers.

A tabular inline shows each field's label only as a column heading, so its inputs have no
label of their own; each gets the field's label as ``aria-label``, and the row's "Delete?"
box says what it deletes.
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst


class LabelledInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            name = self.model._meta.verbose_name
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete this {name}"


class LabelledFieldsMixin:
    formset = LabelledInlineFormSet

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            # A related field's widget is wrapped (edit/add links); its attrs are the inner's.
            widget = getattr(formfield.widget, "widget", formfield.widget)
            widget.attrs.setdefault("aria-label", capfirst(formfield.label or db_field.name))
        return formfield


class TabularInline(LabelledFieldsMixin, admin.TabularInline):
    pass


class StackedInline(LabelledFieldsMixin, admin.StackedInline):
    pass
