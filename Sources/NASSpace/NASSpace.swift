// Module NASSpace: see docs/architecture.md.
