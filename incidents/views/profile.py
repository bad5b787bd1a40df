"""The self-service profile page: how and when a person is reached, their time zone, and the
key of their calendar feeds.

Everyone edits their own at ``/profile/``; roster admins edit anyone's at
``/people/<pk>/profile/``. One page, several small forms, each posting an ``action``; every
successful post redirects back (POST-redirect-GET), a failed one shows the page again with the
form's errors in place.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.roles import ROSTER_ADMINS, role_required

from ..models import Person, Urgency
from ..profile_forms import ContactMethodForm, NotificationRuleForm, TimeZoneForm

# Ids arrive as text from the page; anything longer would overflow the database's integers.
ROW_ID = re.compile(r"^\d{1,18}$")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The viewer's own profile, or a note that their login is not on the roster yet."""
    person = Person.objects.filter(user=request.user).first()
    if person is None:
        return render(request, "incidents/profile.html", {"person": None})
    return _profile_page(request, person, own=True)


@role_required(ROSTER_ADMINS)
@require_http_methods(["GET", "POST"])
def person_profile(request, pk):
    """Any person's profile, for roster admins."""
    person = get_object_or_404(Person, pk=pk)
    return _profile_page(request, person, own=False)


def _profile_page(request, person, *, own):
    bound_forms = {}
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, "That form is not part of this page; nothing was changed.")
            return redirect(request.path)
        bound_forms = action(request, person)
        if bound_forms is None:
            return redirect(request.path)
    return render(request, "incidents/profile.html", _page_context(person, own, bound_forms))


def _page_context(person, own, bound_forms):
    methods = list(person.contact_methods.order_by("kind", "id"))
    rules = list(
        person.notification_rules.select_related("contact_method").order_by("delay_minutes", "id")
    )
    # The flag from the rows already loaded, instead of another query.
    person.urgent_methods = sum(
        1 for rule in rules if rule.urgency == Urgency.URGENT and rule.contact_method.is_usable
    )

    def form_for(prefix, make):
        return bound_forms.get(prefix) or make(prefix)

    method_rows = [
        (
            method,
            form_for(
                f"method-{method.pk}",
                lambda prefix, method=method: ContactMethodForm(
                    instance=method, person=person, prefix=prefix
                ),
            ),
        )
        for method in methods
    ]
    rule_sections = []
    for urgency, label in Urgency.choices:
        rows = [
            (
                rule,
                form_for(
                    f"rule-{rule.pk}",
                    lambda prefix, rule=rule: NotificationRuleForm(
                        instance=rule, person=person, methods=methods, prefix=prefix
                    ),
                ),
            )
            for rule in rules
            if rule.urgency == urgency
        ]
        new_form = form_for(
            f"rule-new-{urgency}",
            lambda prefix, urgency=urgency: NotificationRuleForm(
                person=person, methods=methods, prefix=prefix, initial={"urgency": urgency}
            ),
        )
        rule_sections.append(
            {"urgency": urgency, "label": label, "rows": rows, "new_form": new_form}
        )
    return {
        "person": person,
        "own": own,
        "teams": list(person.teams.all()),
        "time_zone_form": form_for(
            "tz", lambda prefix: TimeZoneForm(instance=person, prefix=prefix)
        ),
        "method_rows": method_rows,
        "new_method_form": form_for(
            "method-new", lambda prefix: ContactMethodForm(person=person, prefix=prefix)
        ),
        "rule_sections": rule_sections,
    }


# --- Actions: each returns None when done (the view redirects), or the bound forms to show. ---


def _set_time_zone(request, person):
    form = TimeZoneForm(request.POST, instance=person, prefix="tz")
    if not form.is_valid():
        return {"tz": form}
    form.save()
    messages.success(request, f"Time zone set to {person.time_zone}.")
    return None


def _add_method(request, person):
    form = ContactMethodForm(request.POST, person=person, prefix="method-new")
    if not form.is_valid():
        return {"method-new": form}
    method = form.save()
    messages.success(
        request,
        f"Added {method}. Add a notification rule below so that pages use it.",
    )
    return None


def _save_method(request, person):
    method = _owned(request, person.contact_methods, "method", "contact method")
    if method is None:
        return None
    prefix = f"method-{method.pk}"
    form = ContactMethodForm(request.POST, instance=method, person=person, prefix=prefix)
    if not form.is_valid():
        return {prefix: form}
    form.save()
    messages.success(request, f"Saved {method}.")
    return None


def _delete_method(request, person):
    method = _owned(request, person.contact_methods, "method", "contact method")
    if method is None:
        return None
    rules = method.notification_rules.count()
    method.delete()
    also = f" and the {rules} notification rule(s) that used it" if rules else ""
    messages.success(request, f"Removed {method}{also}.")
    _warn_if_unreachable(request, person)
    return None


def _add_rule(request, person):
    section = request.POST.get("section", "")
    if section not in Urgency.values:
        messages.error(request, "Choose urgent or routine for the rule; nothing was changed.")
        return None
    prefix = f"rule-new-{section}"
    form = NotificationRuleForm(
        request.POST, person=person, methods=list(person.contact_methods.all()), prefix=prefix
    )
    if not form.is_valid():
        return {prefix: form}
    rule = form.save()
    when = f"after {rule.delay_minutes} min" if rule.delay_minutes else "at once"
    messages.success(
        request, f"{rule.get_urgency_display()} pages now reach {rule.contact_method} {when}."
    )
    return None


def _save_rule(request, person):
    rule = _owned(request, person.notification_rules, "rule", "notification rule")
    if rule is None:
        return None
    prefix = f"rule-{rule.pk}"
    form = NotificationRuleForm(
        request.POST,
        instance=rule,
        person=person,
        methods=list(person.contact_methods.all()),
        prefix=prefix,
    )
    if not form.is_valid():
        return {prefix: form}
    form.save()
    messages.success(request, "Saved the notification rule.")
    _warn_if_unreachable(request, person)
    return None


def _delete_rule(request, person):
    rule = _owned(request, person.notification_rules, "rule", "notification rule")
    if rule is None:
        return None
    rule.delete()
    messages.success(request, "Removed the notification rule.")
    _warn_if_unreachable(request, person)
    return None


def _reset_calendar_key(request, person):
    person.calendar_key_reset()
    messages.success(
        request, "New calendar key made: the old feed links stop working. Copy the new ones "
        "from the on-call page into your calendar app.",
    )
    return None


ACTIONS = {
    "time_zone": _set_time_zone,
    "calendar_key_reset": _reset_calendar_key,
    "method_add": _add_method,
    "method_save": _save_method,
    "method_delete": _delete_method,
    "rule_add": _add_rule,
    "rule_save": _save_rule,
    "rule_delete": _delete_rule,
}


def _owned(request, rows, field, what):
    """The row of ``rows`` (this person's) named by ``field`` in the post, or None with a message.

    A stale tab may post for a row deleted meanwhile: that is a message, not an error page.
    """
    raw = request.POST.get(field, "")
    found = rows.filter(pk=int(raw)).first() if ROW_ID.match(raw) else None
    if found is None:
        messages.error(request, f"That {what} is no longer there; nothing was changed.")
    return found


def _warn_if_unreachable(request, person):
    if person.cannot_be_paged:
        messages.warning(
            request,
            "No usable urgent notification rule is left: urgent pages cannot reach "
            f"{person.name}. Add one below.",
        )
