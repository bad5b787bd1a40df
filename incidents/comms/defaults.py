"""The wording a fresh install starts with: message templates per audience and channel, and the
severity → public status mapping. Plain data, read by the data migration and used as the
fallback when an edited template cannot be rendered.
"""

# Which channels each audience is written for, first the one its preview leads with.
AUDIENCE_CHANNELS = {
    "technical": ("bridge", "internal_email"),
    "executive": ("internal_email", "bridge"),
    "customer": ("status_page", "customer_email"),
    "partner": ("customer_email",),
}

SEVERITY_STATUS = {
    "sev1": "major_outage",
    "sev2": "partial_outage",
    "sev3": "degraded",
    "sev4": "operational",
}

_TECHNICAL_BODY = """\
{{ reference }} · {{ severity }} · {{ status }} · {{ title }}
What happened: {{ what_happened }}
Impact: {{ current_impact }}
Being done: {{ being_done }}
Responsible: {{ responsible }}
Timeline: {{ expected_timeline }}{% if next_update %} (next update by {{ next_update }}){% endif %}
{% if technical_detail %}Technical detail: {{ technical_detail }}
{% endif %}Services: {{ services|join:", "|default:"none named yet" }}\
{% if connectors %} · connectors: {{ connectors|join:", " }}{% endif %}
{{ incident_url }}"""

_EXECUTIVE_BODY = """\
{{ title }} ({{ reference }}, {{ severity }}, {{ status }})

Business impact: {{ current_impact }}
Business processes: {{ business_processes|join:", "|default:"none named yet" }}
Customer exposure: {% if customer_exposure %}customers of {{ customer_exposure|join:", " }} \
see this on the status page{% else %}no public service is affected{% endif %}

What happened: {{ what_happened }}
What is being done: {{ being_done }}
Who is responsible: {{ responsible }}
Expected timeline: {{ expected_timeline }}\
{% if next_update %} (next update by {{ next_update }}){% endif %}
{% if decisions %}
Decisions so far:
{% for decision in decisions %}- {{ decision }}
{% endfor %}{% endif %}{% if customer_wording %}
What customers are told: {{ customer_wording }}
{% endif %}
Incident page: {{ incident_url }}"""

_CUSTOMER_TEXT = """\
{% if customer_wording %}{{ customer_wording }}{% else %}{{ what_happened }}

Impact: {{ current_impact }}

What we are doing: {{ being_done }}

{{ expected_timeline }}{% endif %}"""

TEMPLATES = {
    ("technical", "bridge"): (
        "{{ severity }} {{ reference }} {{ status }}: {{ title }}",
        _TECHNICAL_BODY,
    ),
    ("technical", "internal_email"): (
        "[{{ severity }}] {{ reference }} update ({{ status }}): {{ title }}",
        _TECHNICAL_BODY,
    ),
    ("executive", "internal_email"): (
        "{{ severity }} {{ reference }} · {{ status }}: {{ title }}",
        _EXECUTIVE_BODY,
    ),
    ("executive", "bridge"): (
        "{{ severity }} {{ reference }} · {{ status }}",
        "Business impact: {{ current_impact }}\n"
        "Being done: {{ being_done }} ({{ responsible }})\n"
        "Expected: {{ expected_timeline }}"
        "{% if next_update %} · next update by {{ next_update }}{% endif %}",
    ),
    ("customer", "status_page"): (
        "{{ headline }}",
        _CUSTOMER_TEXT
        + "{% if next_update %}\n\nNext update by {{ next_update }}.{% endif %}",
    ),
    ("customer", "customer_email"): (
        "[{{ status }}] {{ headline }}",
        "{{ headline }} ({{ status }})\n\n"
        + _CUSTOMER_TEXT
        + "{% if next_update %}\n\nOur next update will come by {{ next_update }}.{% endif %}"
        "\n\nFollow along on our status page: {{ status_page_url }}",
    ),
    ("partner", "customer_email"): (
        "Partner notice ({{ status }}): {{ headline }}",
        "Affected: {{ services|join:\", \"|default:\"our services\" }} ({{ status }})\n\n"
        + _CUSTOMER_TEXT
        + "\n\nPlease pass on to your customers what they need to know."
        "{% if next_update %}\nOur next update will come by {{ next_update }}.{% endif %}"
        "\n\nStatus page: {{ status_page_url }}",
    ),
}
