"""Reports of findings: one finding as text (:mod:`.finding`, shared by every front end), and
lint's formats (:mod:`.formats`): text (like ruff), JSON and GitHub Actions workflow commands."""
