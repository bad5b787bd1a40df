"""Communications publish to customers at every severity (the README's roles said so, the
decision authority did not); a glossary term says for which readers it is jargon."""

from django.db import migrations, models

COMMUNICATIONS = "Communications"


def communications_publish(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    DecisionAuthority = apps.get_model("incidents", "DecisionAuthority")
    group, _ = Group.objects.get_or_create(name=COMMUNICATIONS)
    for authority in DecisionAuthority.objects.filter(action="publish_customers"):
        authority.portal_roles.add(group)


def communications_publish_undo(apps, schema_editor):
    DecisionAuthority = apps.get_model("incidents", "DecisionAuthority")
    for authority in DecisionAuthority.objects.filter(action="publish_customers"):
        authority.portal_roles.remove(*authority.portal_roles.filter(name=COMMUNICATIONS))


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0013_declare_token_and_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="glossaryterm",
            name="jargon_for_executives",
            field=models.BooleanField(
                default=False,
                help_text="Point it out in drafts executives read, as advice: an internal "
                "update is never held back for its wording.",
            ),
        ),
        migrations.AlterField(
            model_name="glossaryterm",
            name="is_jargon",
            field=models.BooleanField(
                default=False,
                help_text="Flag a public update whose customer or partner wording uses it: "
                "publishing asks to rephrase or confirm.",
                verbose_name="jargon for customers",
            ),
        ),
        migrations.RunPython(communications_publish, communications_publish_undo),
    ]
