from django.contrib import admin

from . import models

for model in (
    models.Team,
    models.Connector,
    models.Service,
    models.ResponseTarget,
    models.Person,
    models.ContactMethod,
    models.NotificationRule,
    models.Rotation,
    models.Override,
    models.DecisionAuthority,
):
    admin.site.register(model)
