// Module NASStore: see docs/architecture.md.
