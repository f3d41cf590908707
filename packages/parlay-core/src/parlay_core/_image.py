"""A provider-neutral image that travels inside model messages.

An :class:`Image` keeps the encoded bytes it was made from (PNG, JPEG, GIF, WebP, BMP, ...) and
its MIME type. It never re-encodes: the bytes a model provider receives are the bytes the caller
supplied. Pillow is optional; it is imported only when a caller hands over or asks for a
``PIL.Image.Image``.

In pydantic models an image serializes as ``{"data": "<base64>"}``, the shape AutoGen uses, so
saved states and message dumps carry over.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import re
from pathlib import Path
from typing import IO, Any, Literal, Protocol, cast, runtime_checkable

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from parlay_core._exceptions import ImageError

__all__ = ["Image"]

_PILLOW_HINT = "Pillow is needed for PIL images: pip install 'parlay-core[image]'."

# Leading bytes of the formats model providers accept, in the order they are tested.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.S
)


@runtime_checkable
class _SavableImage(Protocol):
    # The one method of ``PIL.Image.Image`` Parlay needs; typing against it keeps Pillow optional.
    def save(self, fp: IO[bytes], format: str | None = None) -> None: ...


def _sniff_mime_type(data: bytes) -> str | None:
    # WebP is a RIFF container, so its marker sits at offset 8, not at the start.
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, mime_type in _SIGNATURES:
        if data.startswith(signature):
            return mime_type
    return None


def _decode_base64(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError(
            "The image data is not valid base64. Pass the base64 text of the encoded image "
            "file (PNG, JPEG, ...), or use Image.from_uri for a 'data:' URI."
        ) from exc


class Image:
    """An encoded image (PNG, JPEG, GIF, WebP, BMP, ...) with its MIME type.

    Build one with :meth:`from_base64`, :meth:`from_file`, :meth:`from_uri` or :meth:`from_pil`,
    or pass the encoded bytes directly. Two images are equal when their bytes are equal.

    Args:
        data: The encoded image bytes, or (for AutoGen compatibility) a ``PIL.Image.Image``,
            which is encoded as PNG.
        mime_type: The MIME type. Detected from the bytes when omitted.

    Raises:
        ImageError: The bytes are not in a recognised format and no ``mime_type`` was given.
    """

    __slots__ = ("_data", "_mime_type")

    def __init__(self, data: bytes | Any, mime_type: str | None = None) -> None:
        if isinstance(data, (bytes, bytearray)):
            raw = bytes(data)
        elif isinstance(data, _SavableImage):
            raw = _encode_pil(data)
        else:
            raise ImageError(
                f"Image() takes encoded image bytes or a PIL image, not {type(data).__name__}. "
                "For base64 text use Image.from_base64, for a file Image.from_file."
            )
        detected = mime_type or _sniff_mime_type(raw)
        if detected is None:
            raise ImageError(
                "The image bytes are not PNG, JPEG, GIF, WebP or BMP. Pass mime_type= "
                "explicitly if the format is right, or convert the image to PNG."
            )
        self._data = raw
        self._mime_type = detected

    @classmethod
    def from_base64(cls, base64_str: str, mime_type: str | None = None) -> Image:
        """Make an image from the base64 text of an encoded image file.

        Args:
            base64_str: The base64 text (whitespace and missing padding are tolerated).
            mime_type: The MIME type. Detected from the bytes when omitted.

        Raises:
            ImageError: The text is not base64, or the format is not recognised.
        """
        return cls(_decode_base64(base64_str), mime_type)

    @classmethod
    def from_uri(cls, uri: str) -> Image:
        """Make an image from a ``data:`` URI such as ``data:image/png;base64,iVBOR...``.

        Remote URLs are not fetched: download the bytes yourself and use the constructor.

        Raises:
            ImageError: The text is not a base64 ``data:`` URI.
        """
        match = _DATA_URI.match(uri.strip())
        if match is None or ";base64" not in match.group("params"):
            raise ImageError(
                "Expected a base64 data URI like 'data:image/png;base64,<data>'. To use a remote "
                "image, download its bytes and pass them to Image(...)."
            )
        return cls.from_base64(match.group("data"), match.group("mime"))

    @classmethod
    def from_file(cls, file_path: str | Path, mime_type: str | None = None) -> Image:
        """Read an image file.

        Args:
            file_path: The path of the image file.
            mime_type: The MIME type. Detected from the bytes when omitted.
        """
        return cls(Path(file_path).read_bytes(), mime_type)

    @classmethod
    def from_pil(cls, pil_image: Any) -> Image:
        """Make a PNG image from a ``PIL.Image.Image`` (needs Pillow)."""
        return cls(pil_image)

    @property
    def data(self) -> bytes:
        """The encoded image bytes."""
        return self._data

    @property
    def mime_type(self) -> str:
        """The MIME type, for example ``"image/png"``."""
        return self._mime_type

    @property
    def image(self) -> Any:
        """The image decoded by Pillow (needs the ``image`` extra)."""
        try:
            # Imported by name so type checking does not need Pillow installed.
            pil_module: Any = importlib.import_module("PIL.Image")
        except ImportError as exc:
            raise ImportError(_PILLOW_HINT) from exc
        return pil_module.open(io.BytesIO(self._data))

    @property
    def data_uri(self) -> str:
        """The image as a ``data:<mime>;base64,...`` URI, the form most providers accept."""
        return f"data:{self._mime_type};base64,{self.to_base64()}"

    def to_base64(self) -> str:
        """Return the encoded bytes as base64 text."""
        return base64.b64encode(self._data).decode("ascii")

    def to_openai_format(self, detail: Literal["auto", "low", "high"] = "auto") -> dict[str, Any]:
        """The image as an OpenAI chat content part (``{"type": "image_url", ...}``).

        A plain dict, so this package needs no provider SDK; it fits wherever the OpenAI API
        takes an image content part.

        Args:
            detail: The resolution the model should look at the image with.
        """
        return {"type": "image_url", "image_url": {"url": self.data_uri, "detail": detail}}

    def _repr_html_(self) -> str:
        # Jupyter shows an image as the picture itself, which is what the user guides expect
        # when a cell ends with an image.
        return f'<img src="{self.data_uri}"/>'

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Image):
            return NotImplemented
        return self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"Image(mime_type={self._mime_type!r}, bytes={len(self._data)})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Teach pydantic to validate ``{"data": base64}`` and to dump images in that shape."""
        return core_schema.no_info_plain_validator_function(
            _validate_image,
            serialization=core_schema.plain_serializer_function_ser_schema(_serialize_image),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Describe the dumped shape in JSON schema."""
        return {
            "type": "object",
            "title": "Image",
            "properties": {"data": {"type": "string", "contentEncoding": "base64"}},
            "required": ["data"],
        }


def _validate_image(value: object) -> Image:
    kind = type(value).__name__
    if isinstance(value, Image):
        return value
    if isinstance(value, dict):
        data = cast("dict[str, object]", value).get("data")
        if isinstance(data, str):
            return Image.from_base64(data)
    raise ImageError(
        f"Cannot read an Image from {kind}. Expected an Image or a dict "
        "{'data': '<base64 of the image file>'}."
    )


def _serialize_image(value: Image) -> dict[str, str]:
    return {"data": value.to_base64()}


def _encode_pil(pil_image: _SavableImage) -> bytes:
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG")
    return buffer.getvalue()
