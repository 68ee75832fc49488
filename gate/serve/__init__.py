"""`slo-gate serve`: an Alertmanager webhook receiver that enriches burn alerts with the watch's context
and summary and posts one Slack message per alert group. The ASGI stack (starlette, uvicorn) is the
optional extra `slo-gate[serve]`, imported only by this command.
"""
