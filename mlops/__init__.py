"""The mlops command and the operations around the Pulumi program."""
