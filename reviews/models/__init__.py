from .actions import ActionItem
from .feedback import Feedback, FeedbackInvitation
from .near_miss import NearMiss
from .review import CauseClass, DistributionList, Review, ReviewVersion

__all__ = [
    "ActionItem",
    "CauseClass",
    "DistributionList",
    "Feedback",
    "FeedbackInvitation",
    "NearMiss",
    "Review",
    "ReviewVersion",
]
