from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews, action items and near misses"

    def ready(self):
        from incidents import demo
        from incidents.timers import register

        from . import home
        from .demo import seed_reviews
        from .services import actions, reviews

        register(reviews.REVIEW_DUE)(reviews.fire_review_due)
        register(actions.ACTION_OVERDUE)(actions.fire_action_overdue)
        demo.register_seeder(seed_reviews)
        home.register()
