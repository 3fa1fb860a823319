"""The rules of the service: plain functions over explicit arguments, one commit per use case."""
