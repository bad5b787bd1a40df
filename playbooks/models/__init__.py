from .drill import Drill, DrillStakeholder
from .playbook import Playbook, PlaybookVersion

__all__ = ["Drill", "DrillStakeholder", "Playbook", "PlaybookVersion"]
