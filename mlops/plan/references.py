"""What a StackReference returns in the offline plan: the referenced stack's own planned outputs.

A test or prod plan references dev's registry, a team stack its environment stack. The referenced stacks are planned first, from
their own settings in the same project, so the plan sees exactly what dev would export.
"""

from __future__ import annotations

from typing import Any

from infra.config import Settings


def referenced_stacks(settings: Settings) -> list[str]:
    """StackReference names the program will create for ``settings``."""
    references = []
    if settings.env.registry.source_stack:
        references.append(settings.env.registry.source_stack)
    if settings.env.personal is not None:
        references.append(settings.env.personal.shared_stack)
    if settings.env.foundation_stack is not None:
        references.append(settings.env.foundation_stack)
    return references


def stack_of(reference: str) -> str:
    """The stack name in ``organization/<project>/<stack>``."""
    return reference.rsplit("/", 1)[-1]


class ReferenceResolver:
    """Answers StackReference lookups from outputs planned beforehand."""

    def __init__(self, outputs_by_reference: dict[str, dict[str, Any]]):
        self._outputs = dict(outputs_by_reference)

    def outputs(self, reference: str) -> dict[str, Any]:
        """The outputs of the referenced stack; unknown references are program errors."""
        if reference not in self._outputs:
            raise KeyError(f"stack reference {reference!r} was not planned first")
        return self._outputs[reference]
