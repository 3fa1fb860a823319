"""The dashboard: per site, what waits in the queues and how busy the last 30 days were."""

from __future__ import annotations

from flask import render_template

from comments.moderation import bp, charts
from comments.moderation.auth import current, signed_in
from comments.services import dashboard, moderation


@bp.get("/dashboard")
@signed_in
def dashboard_page() -> str:
    moderator = current()
    figures = [dashboard.figures(moderator, site) for site in moderation.sites_for(moderator)]
    return render_template(
        "moderation/dashboard.html",
        figures=figures,
        days=dashboard.DAYS,
        bar_chart=charts.bar_chart,
    )
