"""The daily (or weekly) reliability report: the report's model (model), the fixed verdict rules
(verdict), the measuring (build), PURE renderers for text/Markdown/JSON (render), self-contained HTML
with inline SVG charts (html), a Slack digest (slack), and the command's assembly (command).
"""
