"""The `mlops` command and the operations around the Pulumi program: the offline plan engine,
deploy checks, promotion, the dev-stack lifecycle and the local demo."""
