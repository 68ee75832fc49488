"""Test helpers shared across the suite (loopback fakes for HTTP services)."""
