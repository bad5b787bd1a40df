"""Time zones chosen from a list in the admin, never typed: a typo there moved shifts."""

import functools
import zoneinfo

from django import forms


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneChoiceMixin:
    """A ModelAdmin mixin: the model's ``time_zone`` field is a select of the IANA zones."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            return forms.ChoiceField(
                choices=time_zone_choices(), initial=db_field.default, label="Time zone",
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
