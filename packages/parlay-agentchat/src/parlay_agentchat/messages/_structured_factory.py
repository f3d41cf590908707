"""StructuredMessageFactory: a structured-output message type described by a JSON schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from typing_extensions import Self

from parlay_agentchat._exceptions import AgentConfigurationError
from parlay_agentchat.messages._chat import StructuredMessage
from parlay_core import Component
from parlay_core.exceptions import ToolSchemaError
from parlay_core.utils import model_class_name, model_from_json_schema

__all__ = ["StructuredMessageComponent", "StructuredMessageFactory"]


def _content_model(schema: Mapping[str, Any], name: str | None) -> type[BaseModel]:
    """Build the content model from its JSON schema; fields keep the property names.

    Raises:
        AgentConfigurationError: The schema is not an object schema with ``properties``, or
            uses something the model cannot check (see ``parlay_core.utils.model_from_json_schema``).
    """
    if schema.get("type", "object") != "object" or "properties" not in schema:
        raise AgentConfigurationError(
            "A structured-output schema must be an object schema with 'properties', as "
            "produced by YourModel.model_json_schema()."
        )
    model_name = model_class_name(name or str(schema.get("title", "ContentModel")))
    try:
        return model_from_json_schema(
            schema,
            model_name,
            subject=f"The structured-output schema {model_name!r}",
            aliased=False,
            # Models often write null for an optional field they leave out.
            nullable_optional=True,
        )
    except ToolSchemaError as exc:
        # The agent's contract: a bad structured-output config is an AgentConfigurationError.
        raise AgentConfigurationError(str(exc)) from exc


class StructuredMessageComponent(BaseModel):
    """The component config of a :class:`StructuredMessageFactory`.

    Attributes:
        json_schema: The JSON schema of the content model.
        format_string: The ``str.format`` template for rendering the content, if any.
        content_model_name: The class name of the content model.
    """

    json_schema: dict[str, Any]
    format_string: str | None = None
    content_model_name: str


class StructuredMessageFactory(Component[StructuredMessageComponent]):
    """Holds a content model and the matching ``StructuredMessage[...]`` class.

    Built from a pydantic model or from its JSON schema (which is what the component config
    stores, so a config needs no Python code to load).

    Args:
        json_schema: The JSON schema of the content.
        input_model: The content model itself; takes precedence over ``json_schema``.
        format_string: How ``to_text()`` renders the content, as a ``str.format`` template.
        content_model_name: The class name of a model built from ``json_schema``.

    Attributes:
        ContentModel: The content model class.
        StructuredMessage: ``StructuredMessage[ContentModel]``.
        format_string: The rendering template.

    Raises:
        AgentConfigurationError: Neither ``json_schema`` nor ``input_model`` is given, or
            ``json_schema`` is not an object schema or uses a keyword that cannot be checked.
    """

    component_type = "structured_message"
    component_config_schema = StructuredMessageComponent
    component_provider_override = "parlay_agentchat.messages.StructuredMessageFactory"

    def __init__(
        self,
        json_schema: dict[str, Any] | None = None,
        input_model: type[BaseModel] | None = None,
        format_string: str | None = None,
        content_model_name: str | None = None,
    ) -> None:
        self.format_string = format_string
        if input_model is not None:
            self.ContentModel: type[BaseModel] = input_model
        elif json_schema is not None:
            self.ContentModel = _content_model(json_schema, content_model_name)
        else:
            raise AgentConfigurationError(
                "StructuredMessageFactory needs json_schema or input_model."
            )
        self.StructuredMessage: type[StructuredMessage[BaseModel]] = StructuredMessage[
            self.ContentModel  # type: ignore[name-defined]
        ]

    def _to_config(self) -> StructuredMessageComponent:
        return StructuredMessageComponent(
            json_schema=self.ContentModel.model_json_schema(),
            format_string=self.format_string,
            content_model_name=self.ContentModel.__name__,
        )

    @classmethod
    def _from_config(cls, config: StructuredMessageComponent) -> Self:
        return cls(
            json_schema=config.json_schema,
            format_string=config.format_string,
            content_model_name=config.content_model_name,
        )
