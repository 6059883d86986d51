// Module NASNetAdapt: see docs/architecture.md.
