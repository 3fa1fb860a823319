"""Multi-process stress tests: real gunicorn servers, many concurrent clients, kill -9."""
