"""comments: a self-hosted comments service for news sites and blogs."""

from comments.app import create_app

__all__ = ["create_app"]
