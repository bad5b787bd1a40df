# Playbooks attach by incident type, connector or alert source.

from django.db import migrations, models
from django.utils.text import slugify

TYPES = {
    "connector_failure": "Connector failure",
    "vendor_degradation": "Vendor degradation",
    "release_regression": "Release regression",
    "data_error": "Data error",
    "capacity": "Capacity or quota",
    "security": "Security",
}


def typed(apps, schema_editor):
    """The free-text type becomes one of the incident types: by its label or its value, in
    any case; a text that names none is cleared (the playbook then attaches by service, as
    it did before)."""
    by_text = {label.lower(): value for value, label in TYPES.items()}
    by_text.update({value: value for value in TYPES})
    Playbook = apps.get_model("playbooks", "Playbook")
    for playbook in Playbook.objects.exclude(incident_type=""):
        text = playbook.incident_type.strip()
        value = by_text.get(text.lower()) or by_text.get(slugify(text).replace("-", "_"), "")
        if value != playbook.incident_type:
            playbook.incident_type = value
            playbook.save(update_fields=["incident_type"])


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0017_incident_type'),
        ('playbooks', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='playbook',
            name='connectors',
            field=models.ManyToManyField(blank=True, help_text='Set, it is attached only to incidents about one of these connectors.', related_name='playbooks', to='incidents.connector'),
        ),
        migrations.AddField(
            model_name='playbook',
            name='integrations',
            field=models.ManyToManyField(blank=True, help_text='Set, it is attached only to incidents raised by one of these integrations.', related_name='playbooks', to='incidents.integration', verbose_name='alert sources'),
        ),
        migrations.AlterField(
            model_name='playbook',
            name='incident_type',
            field=models.CharField(blank=True, choices=[('connector_failure', 'Connector failure'), ('vendor_degradation', 'Vendor degradation'), ('release_regression', 'Release regression'), ('data_error', 'Data error'), ('capacity', 'Capacity or quota'), ('security', 'Security')], help_text='The type of incident it is for. Set, it is attached only to incidents of that type. Empty: any.', max_length=100),
        ),
        migrations.RunPython(typed, migrations.RunPython.noop),
    ]
