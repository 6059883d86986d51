// Module NASTrain: see docs/architecture.md.
