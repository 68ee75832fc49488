"""GitHub integration: a small REST client (`api`) and the Actions run context (`context`).

Only the REST API is used, over httpx; nothing here runs a shell or trusts text from a pull request.
"""
