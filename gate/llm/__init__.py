"""The one path to the Anthropic Messages API, shared by risk classification and every feature that
asks the model to phrase facts (incident summaries, report narratives, postmortems).

Nothing here imports gate.risk; the SDK is imported lazily, only when a request is made.
"""
