"""The audit log: records, the hash chain, sinks (a git branch, a local file) and the tools that read it."""
