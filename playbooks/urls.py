from django.urls import path

from .views import drills, playbooks

app_name = "playbooks"

urlpatterns = [
    path("playbooks/", playbooks.playbook_list, name="playbook_list"),
    path("playbooks/new/", playbooks.playbook_new, name="playbook_new"),
    path("playbooks/<slug:slug>/", playbooks.playbook_detail, name="playbook_detail"),
    path("playbooks/<slug:slug>/edit/", playbooks.playbook_edit, name="playbook_edit"),
    path("playbooks/<slug:slug>/history/", playbooks.playbook_history, name="playbook_history"),
    path(
        "playbooks/<slug:slug>/versions/<id:number>/",
        playbooks.playbook_version,
        name="playbook_version",
    ),
    path("drills/", drills.drill_list, name="drill_list"),
    path("drills/new/", drills.drill_new, name="drill_new"),
    path("drills/<id:pk>/", drills.drill_detail, name="drill_detail"),
]
