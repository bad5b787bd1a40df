"""One module per scenario, each with a ``NAME`` and a ``run(ctx) -> dict`` of flat figures."""
