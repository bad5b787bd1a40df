from django.urls import path

from .views import actions, distribution, feedback, near_misses, reviews

app_name = "reviews"

urlpatterns = [
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", reviews.review_edit, name="review_edit"),
    path("reviews/<int:pk>/report.md", reviews.review_markdown, name="review_markdown"),
    path("reviews/<int:pk>/print/", reviews.review_print, name="review_print"),
    path(
        "reviews/<int:pk>/versions/<int:number>/",
        reviews.review_version,
        name="review_version",
    ),
    path(
        "reviews/<int:pk>/versions/<int:number>/report.md",
        reviews.review_version_markdown,
        name="review_version_markdown",
    ),
    path("reviews/actions/", actions.action_item_list, name="action_item_list"),
    path("reviews/actions/<int:pk>/", actions.action_item_detail, name="action_item_detail"),
    path("reviews/feedback/", feedback.feedback_list, name="feedback_list"),
    path(
        "reviews/incidents/<int:number>/feedback/",
        feedback.feedback_give_view,
        name="feedback_give",
    ),
    path("reviews/distribution/", distribution.distribution_lists, name="distribution_lists"),
    path(
        "reviews/distribution/<int:pk>/",
        distribution.distribution_list_edit,
        name="distribution_list_edit",
    ),
    path("near-misses/", near_misses.near_miss_list, name="near_miss_list"),
    path("near-misses/<int:pk>/", near_misses.near_miss_detail, name="near_miss_detail"),
]
