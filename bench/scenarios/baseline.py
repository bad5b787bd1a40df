"""Requests/s and latency of /healthz and of the trivial logged-in page, the yardstick."""

from bench.load import ratio

NAME = "baseline"
ORDER = 0


def run(ctx) -> dict:
    ctx.portal()
    health = ctx.load("/healthz")
    page = ctx.reference_page()
    return {
        **health.figures("healthz"),
        **page.figures("page"),
        "healthz_vs_page_rps": ratio(health.rps, page.rps),
    }
