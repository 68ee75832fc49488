"""The audit log: typed records (record; built from a run by builder), the hash chain (chain), git/file
sinks (sink, recorder), and the tools that read it (history: `audit log`; spending: `audit report`;
replay; settle)."""
