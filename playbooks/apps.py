from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = "Playbooks and drills"

    def ready(self):
        from incidents import demo, hooks
        from incidents.timers import register

        from . import services
        from .demo import seed_playbooks

        register(services.REVIEW_DUE)(services.fire_review_due)
        register(services.DRILL_START)(services.fire_drill_start)
        register(services.DRILL_PAGE)(services.fire_drill_page)
        for hook_list in (hooks.on_declared, hooks.on_type_changed):
            if services.attach_playbooks not in hook_list:
                hook_list.append(services.attach_playbooks)
        demo.register_seeder(seed_playbooks)
