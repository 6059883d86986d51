// Module NASEval: see docs/architecture.md.
