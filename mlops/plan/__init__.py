"""Exports of the offline plan for other tools."""
