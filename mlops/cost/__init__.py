"""Monthly cost estimates of planned stacks from a price table kept in the project."""
