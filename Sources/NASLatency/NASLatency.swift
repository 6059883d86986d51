// Module NASLatency: see docs/architecture.md.
