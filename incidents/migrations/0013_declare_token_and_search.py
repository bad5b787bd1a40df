import django.contrib.postgres.search
from django.db import migrations, models

# A frozen copy of incidents.search's rebuild: migrations do not import the app's code.
BACKFILL = """
UPDATE incidents_incident AS i SET search_vector =
    to_tsvector('english'::regconfig, i.title || ' ' || i.summary)
    || to_tsvector('english'::regconfig, coalesce((
        SELECT string_agg(t.text, ' ') FROM incidents_timelineevent t
        WHERE t.incident_id = i.id AND t.kind = 'note'), ''))
    || to_tsvector('english'::regconfig, coalesce((
        SELECT string_agg(concat_ws(' ', u.what_happened, u.current_impact, u.being_done,
                                    u.responsible, u.expected_timeline, u.technical_detail,
                                    u.customer_headline, u.customer_wording), ' ')
        FROM incidents_statusupdate u WHERE u.incident_id = i.id), ''))
"""


def index_and_fill(apps, schema_editor):
    """PostgreSQL only: the GIN index the search uses, and the vectors of existing rows.
    SQLite searches with a plain match and keeps the column empty. (The tests replay data
    migrations without a schema editor after a flush: the index is still there then.)"""
    if schema_editor is None or schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS incident_search_gin "
        "ON incidents_incident USING gin (search_vector)"
    )
    schema_editor.execute(BACKFILL)


def drop_index(apps, schema_editor):
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_search_gin")


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0012_public_ids_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="declare_token",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The declare form's one-time token: a second post of the same form "
                "finds this incident instead of declaring another.",
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.RunPython(index_and_fill, drop_index),
    ]
