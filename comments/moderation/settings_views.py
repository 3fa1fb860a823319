"""Site moderation settings (admins only), with a box to try a comment against them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import ValidationFailed
from comments.extensions import db
from comments.models import Site
from comments.moderation import bp, forms
from comments.moderation.auth import admin_only, current
from comments.services import moderation, sites
from comments.services.policy import AuthorRecord, Decision, Submission, evaluate

MAX_TRY_LENGTH = 20_000
MAX_APPROVED = 1_000_000


@bp.get("/settings")
@admin_only
def settings_index() -> str:
    return render_template("moderation/settings_index.html", sites=moderation.sites_for(current()))


def _settings_page(
    site: Site,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    trial: Decision | None = None,
    trial_text: str = "",
    trial_approved: str = "0",
    trial_error: str = "",
) -> str:
    policy = sites.policy_of(site)
    return render_template(
        "moderation/settings.html",
        site=site,
        fields=forms.POLICY_FIELDS,
        values=values or forms.policy_form_values(policy.to_json()),
        errors=errors or {},
        trial=trial,
        trial_text=trial_text,
        trial_approved=trial_approved,
        trial_error=trial_error,
    )


@bp.route("/settings/<slug>", methods=["GET", "POST"])
@admin_only
def site_settings(slug: str) -> str | tuple[str, int] | BaseResponse:
    site = moderation.get_site_for(current(), slug)
    if request.method == "GET":
        return _settings_page(site)
    try:
        sites.update_policy(site.slug, forms.policy_changes(request.form), current())
    except ValidationFailed as exc:
        db.session.rollback()
        values = forms.submitted_values(request.form)
        return _settings_page(site, values=values, errors=exc.fields), 422
    flash(f"Saved the moderation settings of {site.name}.", "success")
    return redirect(url_for("moderation.site_settings", slug=site.slug), code=303)


@bp.post("/settings/<slug>/try")
@admin_only
def try_comment(slug: str) -> str | tuple[str, int]:
    """Run the saved rules over a sample comment; nothing is stored."""
    site = moderation.get_site_for(current(), slug)
    text = request.form.get("text", "")[:MAX_TRY_LENGTH]
    approved_raw = request.form.get("approved", "0").strip() or "0"
    approved = forms.parse_int(approved_raw, 0, MAX_APPROVED)
    if approved is None or not text.strip():
        problem = (
            f"The author's approved comments must be a whole number from 0 to {MAX_APPROVED}."
            if approved is None
            else "Type a comment to try."
        )
        page = _settings_page(
            site, trial_text=text, trial_approved=approved_raw, trial_error=problem
        )
        return page, 422
    decision = evaluate(
        sites.policy_of(site), Submission(body=text), AuthorRecord(approved_count=approved)
    )
    return _settings_page(site, trial=decision, trial_text=text, trial_approved=str(approved))
