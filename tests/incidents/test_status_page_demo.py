"""The demo organisation's communications: seeded once, shown on the status page, and
nothing internal from it leaks there."""

from django.urls import reverse

from incidents import demo
from incidents.models import GlossaryTerm, MaintenanceWindow, PreparedStatement, StatusUpdate


def test_the_demo_seeds_communications_once_and_the_status_page_shows_them(client, db):
    demo.seed()
    counts = (
        StatusUpdate.objects.count(), GlossaryTerm.objects.count(),
        PreparedStatement.objects.count(), MaintenanceWindow.objects.count(),
    )
    demo.seed()
    assert counts == (
        StatusUpdate.objects.count(), GlossaryTerm.objects.count(),
        PreparedStatement.objects.count(), MaintenanceWindow.objects.count(),
    )
    assert counts[0] >= 3 and counts[2] == 4 and counts[3] == 1
    assert GlossaryTerm.objects.filter(is_jargon=True).exists()
    assert set(PreparedStatement.objects.values_list("kind", flat=True)) == {
        "acknowledge", "workaround", "rollback", "resolution",
    }

    page = client.get(reverse("incidents:status_page")).content.decode()
    assert "Sign-up verification delays" in page  # the open incident's public update
    assert "Payment provider upgrade" in page  # the scheduled maintenance
    for internal in ("Twilio", "Cole Mensah", "Rita Novak", "Customer records base",
                     "Payment reconciliation", "INC-"):
        assert internal not in page
