"""Small value types shared by several layers."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FunctionCall"]


@dataclass
class FunctionCall:
    """A model's request to call a function (tool).

    Attributes:
        id: The provider's identifier of this call, echoed back with its result.
        arguments: The arguments as a JSON string, exactly as the model produced them.
        name: The function (tool) name.
    """

    id: str
    arguments: str
    name: str
