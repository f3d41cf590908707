"""Image: construction from every source, encodings, and pydantic round trips."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image as PILImage
from pydantic import BaseModel

from parlay_core._exceptions import ImageError, ParlayError
from parlay_core._image import Image


def _png_bytes(color: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (2, 3), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (0, 0, 255)).save(buffer, format="JPEG")
    return buffer.getvalue()


class _Holder(BaseModel):
    picture: Image


def test_bytes_keep_their_encoding_and_format() -> None:
    png = _png_bytes()
    image = Image(png)
    assert image.data == png
    assert image.mime_type == "image/png"
    assert Image(_jpeg_bytes()).mime_type == "image/jpeg"


def test_base64_round_trip_returns_the_same_bytes() -> None:
    png = _png_bytes()
    encoded = base64.b64encode(png).decode()
    image = Image.from_base64(encoded)
    assert image.to_base64() == encoded
    assert image == Image(png)


def test_base64_without_padding_or_with_line_breaks_is_accepted() -> None:
    encoded = base64.b64encode(_png_bytes()).decode()
    wrapped = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20)).rstrip("=")
    assert Image.from_base64(wrapped).data == _png_bytes()


def test_data_uri_round_trip() -> None:
    image = Image(_jpeg_bytes())
    uri = image.data_uri
    assert uri.startswith("data:image/jpeg;base64,")
    again = Image.from_uri(uri)
    assert again == image
    assert again.mime_type == "image/jpeg"


def test_from_file(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    path.write_bytes(_png_bytes())
    assert Image.from_file(path).data == _png_bytes()
    assert Image.from_file(str(path)).mime_type == "image/png"


def test_pil_interop_encodes_png_and_decodes_back() -> None:
    pil = PILImage.new("RGB", (5, 7), (0, 255, 0))
    image = Image.from_pil(pil)
    assert image.mime_type == "image/png"
    decoded = image.image
    assert decoded.size == (5, 7)
    assert decoded.convert("RGB").getpixel((0, 0)) == (0, 255, 0)
    assert Image(pil) == image


def test_explicit_mime_type_allows_other_formats() -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    image = Image(svg, mime_type="image/svg+xml")
    assert image.data_uri.startswith("data:image/svg+xml;base64,")


def test_unknown_format_without_mime_type_is_an_error() -> None:
    with pytest.raises(ImageError, match="mime_type"):
        Image(b"definitely not an image")


def test_invalid_base64_is_an_error() -> None:
    with pytest.raises(ImageError, match="base64") as info:
        Image.from_base64("@@@not base64@@@")
    assert isinstance(info.value, ParlayError)
    assert isinstance(info.value, ValueError)


def test_non_data_uri_is_an_error() -> None:
    with pytest.raises(ImageError, match="data URI"):
        Image.from_uri("https://example.com/cat.png")


def test_wrong_argument_type_is_an_error() -> None:
    with pytest.raises(ImageError, match="from_base64"):
        Image("aGVsbG8=")  # type: ignore[arg-type]


def test_pydantic_dump_uses_the_data_shape_and_loads_back() -> None:
    image = Image(_png_bytes())
    holder = _Holder(picture=image)
    dumped = holder.model_dump(mode="json")
    assert dumped == {"picture": {"data": image.to_base64()}}
    assert holder.model_dump()["picture"] == {"data": image.to_base64()}
    assert _Holder.model_validate(dumped).picture == image
    assert _Holder.model_validate_json(holder.model_dump_json()).picture == image


def test_pydantic_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match="Image"):
        _Holder.model_validate({"picture": "iVBOR"})


def test_json_schema_describes_the_dump_shape() -> None:
    schema = _Holder.model_json_schema()
    assert schema["properties"]["picture"]["required"] == ["data"]


def test_equality_and_hash_follow_bytes() -> None:
    a, b = Image(_png_bytes()), Image(_png_bytes())
    c = Image(_png_bytes((0, 0, 0)))
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2


def test_openai_content_part_carries_the_data_uri_and_detail() -> None:
    image = Image(_jpeg_bytes())
    assert image.to_openai_format() == {
        "type": "image_url",
        "image_url": {"url": image.data_uri, "detail": "auto"},
    }
    assert image.to_openai_format(detail="low")["image_url"]["detail"] == "low"


def test_notebooks_show_the_picture() -> None:
    image = Image(_jpeg_bytes())
    html = image._repr_html_()  # pyright: ignore[reportPrivateUsage]
    assert html == f'<img src="{image.data_uri}"/>'
