"""Django's password reset form with limits, so that it cannot be used to flood an inbox.

Per address asked for: past the limit nothing more is sent, and the answer is the one every
request gets ("check your inbox"), so the form still reveals nobody. Per client address:
past the limit the page says so (429); that tells a sender only about their own requests.
"""

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponseRedirect

from . import throttle
from .client_address import client_address


class ThrottledPasswordResetView(PasswordResetView):
    def form_valid(self, form):
        client = client_address(self.request)
        if not throttle.take(
            "password-reset-client", client, limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR
        ):
            form.add_error(
                None,
                "Too many reset requests from your address in the last hour. "
                "Try again later, or ask a roster admin.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        mailbox = throttle.mailbox(form.cleaned_data["email"])
        if not throttle.take(
            "password-reset-address", mailbox, limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR
        ):
            return HttpResponseRedirect(self.get_success_url())  # the same answer, nothing sent
        return super().form_valid(form)
