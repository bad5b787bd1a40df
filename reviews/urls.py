from django.urls import path

from .views import actions, distribution, feedback, near_misses, reviews

app_name = "reviews"

urlpatterns = [
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/<id:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<id:pk>/edit/", reviews.review_edit, name="review_edit"),
    path("reviews/<id:pk>/report.md", reviews.review_markdown, name="review_markdown"),
    path("reviews/<id:pk>/print/", reviews.review_print, name="review_print"),
    path(
        "reviews/<id:pk>/versions/<id:number>/",
        reviews.review_version,
        name="review_version",
    ),
    path(
        "reviews/<id:pk>/versions/<id:number>/report.md",
        reviews.review_version_markdown,
        name="review_version_markdown",
    ),
    path("reviews/actions/", actions.action_item_list, name="action_item_list"),
    path("reviews/actions/<id:pk>/", actions.action_item_detail, name="action_item_detail"),
    path("reviews/feedback/", feedback.feedback_list, name="feedback_list"),
    path(
        "reviews/incidents/<id:number>/feedback/",
        feedback.feedback_give_view,
        name="feedback_give",
    ),
    path("reviews/distribution/", distribution.distribution_lists, name="distribution_lists"),
    path(
        "reviews/distribution/<id:pk>/",
        distribution.distribution_list_edit,
        name="distribution_list_edit",
    ),
    path("near-misses/", near_misses.near_miss_list, name="near_miss_list"),
    path("near-misses/<id:pk>/", near_misses.near_miss_detail, name="near_miss_detail"),
]
