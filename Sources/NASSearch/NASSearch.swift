// Module NASSearch: see docs/architecture.md.
