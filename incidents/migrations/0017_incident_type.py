# Incident types: on incidents, on integrations (for their alerts), in the timeline.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0016_service_status_changes'),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='incident_type',
            field=models.CharField(blank=True, choices=[('connector_failure', 'Connector failure'), ('vendor_degradation', 'Vendor degradation'), ('release_regression', 'Release regression'), ('data_error', 'Data error'), ('capacity', 'Capacity or quota'), ('security', 'Security')], help_text='What it is about; playbooks for this type are attached. Empty: not known yet.', max_length=30),
        ),
        migrations.AddField(
            model_name='integration',
            name='connector',
            field=models.ForeignKey(blank=True, help_text='The connector its alerts are about, if one: playbooks for it are attached.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='integrations', to='incidents.connector'),
        ),
        migrations.AddField(
            model_name='integration',
            name='incident_type',
            field=models.CharField(blank=True, choices=[('connector_failure', 'Connector failure'), ('vendor_degradation', 'Vendor degradation'), ('release_regression', 'Release regression'), ('data_error', 'Data error'), ('capacity', 'Capacity or quota'), ('security', 'Security')], help_text='The type of the incidents its alerts declare (playbooks for that type are attached). Empty: left to the people handling it.', max_length=30),
        ),
        migrations.AlterField(
            model_name='timelineevent',
            name='kind',
            field=models.CharField(choices=[('declared', 'Declared'), ('acknowledged', 'Acknowledged'), ('unacknowledged', 'Acknowledgement withdrawn'), ('role_change', 'Role change'), ('severity_change', 'Severity change'), ('status_change', 'Status change'), ('services_change', 'Affected services change'), ('note', 'Note'), ('decision', 'Decision'), ('update_posted', 'Update posted'), ('escalation', 'Escalation'), ('notification', 'Notification'), ('alert', 'Alert'), ('task', 'Task'), ('target_breached', 'Response target breached'), ('merged', 'Merged'), ('reopened', 'Reopened'), ('type_change', 'Incident type change'), ('playbook', 'Playbook')], max_length=20),
        ),
    ]
