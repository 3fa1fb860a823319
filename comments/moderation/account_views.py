"""The moderator's own things and the bans they manage: ban list, API tokens, alerts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from comments.httputil import settings
from comments.moderation import bp, forms
from comments.moderation.auth import current, signed_in
from comments.services import accounts, moderation, notifications, queues


@bp.get("/bans")
@signed_in
def bans() -> str:
    moderator = current()
    return render_template(
        "moderation/bans.html",
        bans=moderation.active_bans(moderator),
        site_names={site.id: site.name for site in moderation.sites_for(moderator)},
        expiry=queues.ban_expiry_text,
    )


@bp.post("/bans/<int:ban_id>/lift")
@signed_in
def lift_ban(ban_id: int) -> BaseResponse:
    moderation.lift_ban(current(), ban_id)
    flash(f"Lifted ban #{ban_id}.", "success")
    return redirect(url_for("moderation.bans"), code=303)


def _tokens_page(new_token: str = "", new_name: str = "") -> str:
    return render_template(
        "moderation/tokens.html",
        tokens=accounts.tokens_of(current()),
        new_token=new_token,
        new_name=new_name,
    )


@bp.get("/tokens")
@signed_in
def tokens() -> str:
    return _tokens_page()


@bp.post("/tokens")
@signed_in
def create_token() -> str:
    """Answered with a page, not a redirect: the token is shown this once and never stored
    anywhere it could be shown again (a flash message would put it in the cookie)."""
    entry, token = accounts.create_token(current(), request.form.get("name", ""))
    return _tokens_page(new_token=token, new_name=entry.name)


@bp.post("/tokens/<int:token_id>/revoke")
@signed_in
def revoke_token(token_id: int) -> BaseResponse:
    accounts.revoke_token(current(), token_id)
    flash(f"Revoked token #{token_id}; programs using it are now refused.", "success")
    return redirect(url_for("moderation.tokens"), code=303)


@bp.get("/account")
@signed_in
def account() -> str:
    return render_template(
        "moderation/account.html",
        choices=forms.ALERT_CHOICES,
        mode=current().alert_mode,
        mail_configured=bool(settings().SMTP_HOST),
    )


@bp.post("/account/alerts")
@signed_in
def set_alerts() -> BaseResponse:
    """Choose e-mail alerts for new pending and reported comments."""
    mode = forms.read_alert_mode(request.form.get("alert_mode"))
    notifications.set_alert_mode(current(), mode)
    flash(f"E-mail alerts: {forms.ALERT_CHOICES[mode].split(':')[0].lower()}.", "success")
    return redirect(url_for("moderation.account"), code=303)
