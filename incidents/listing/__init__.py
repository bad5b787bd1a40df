"""/incidents/: every incident, open and closed, filtered, searched, sorted and exported."""
