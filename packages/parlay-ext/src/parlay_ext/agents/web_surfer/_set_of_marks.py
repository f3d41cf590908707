"""Drawing numbered boxes on a screenshot, so a multimodal model can name what it wants to touch.

The page script gives every interactive element an id and reports its boxes. Each visible box
is outlined and labelled with its id in a colour derived from the id (the same element keeps
its colour from one screenshot to the next); the rest of the page turns grey, so the marks stand
out. Elements above or below the viewport are returned separately: the prompt lists them as
reachable by scrolling.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast

from parlay_ext.agents.web_surfer._sdk import ImageDraw, ImageFont, PILImage

__all__ = [
    "DOMRectangle",
    "InteractiveRegion",
    "MarkedScreenshot",
    "mark_screenshot",
    "open_png",
    "region_from_script",
]

# Labels this close to the top edge would be cut off; they go below their box instead.
_LABEL_CLEARANCE = 18
_LABEL_PADDING = 2


class DOMRectangle(TypedDict):
    """One client rectangle of an element, in CSS pixels relative to the viewport."""

    x: float
    y: float
    width: float
    height: float
    top: float
    right: float
    bottom: float
    left: float


class InteractiveRegion(TypedDict):
    """An element a person could interact with, as the page script reports it."""

    tag_name: str
    role: str
    aria_name: str
    v_scrollable: bool
    rects: list[DOMRectangle]


def region_from_script(raw: dict[str, Any]) -> InteractiveRegion:
    """Convert one region of the page script's answer (whose keys are JavaScript's)."""
    rects: list[DOMRectangle] = []
    for rect in raw.get("rects", []):
        rects.append(
            DOMRectangle(
                x=float(rect["x"]),
                y=float(rect["y"]),
                width=float(rect["width"]),
                height=float(rect["height"]),
                top=float(rect["top"]),
                right=float(rect["right"]),
                bottom=float(rect["bottom"]),
                left=float(rect["left"]),
            )
        )
    return InteractiveRegion(
        tag_name=str(raw.get("tag_name", "")),
        role=str(raw.get("role", "")),
        aria_name=str(raw.get("aria-name", "")),
        v_scrollable=bool(raw.get("v-scrollable", False)),
        rects=rects,
    )


@dataclass
class MarkedScreenshot:
    """A screenshot with its marks drawn, and which ids lie where.

    Attributes:
        image: The marked screenshot (a ``PIL.Image.Image`` in RGB).
        visible: Ids drawn on the screenshot, in the order drawn.
        above: Ids of elements above the viewport (scroll up to reach them).
        below: Ids of elements below the viewport (scroll down to reach them).
    """

    image: Any
    visible: list[str] = field(default_factory=list[str])
    above: list[str] = field(default_factory=list[str])
    below: list[str] = field(default_factory=list[str])


def _colour(element_id: str) -> tuple[int, int, int]:
    # Seeded by the id, so an element keeps its colour across screenshots; one channel is kept
    # bright and one dark, so every colour stands out against the greyed page.
    rng = random.Random(element_id)
    channels = [rng.randint(180, 255), rng.randint(0, 70), rng.randint(0, 255)]
    rng.shuffle(channels)
    return channels[0], channels[1], channels[2]


def open_png(png: bytes) -> Any:
    """Decode PNG bytes with Pillow (a ``PIL.Image.Image``; typed ``Any`` once, here)."""
    image: Any = PILImage.open(io.BytesIO(png))
    image.load()
    return image


def mark_screenshot(png: bytes, regions: dict[str, InteractiveRegion]) -> MarkedScreenshot:
    """Draw a numbered box on every visible interactive element of a screenshot.

    Args:
        png: The screenshot (of the viewport) as PNG bytes.
        regions: The page's interactive regions by id.

    Returns:
        The marked image and the ids that are visible, above and below the viewport.
    """
    original = open_png(png)
    base: Any = original.convert("L").convert("RGBA")
    original.close()
    overlay = PILImage.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=14)
    width, height = cast(tuple[int, int], base.size)
    result = MarkedScreenshot(image=None)
    for element_id, region in regions.items():
        for rect in region["rects"]:
            centre_x = (rect["left"] + rect["right"]) / 2
            centre_y = (rect["top"] + rect["bottom"]) / 2
            if not 0 <= centre_x < width:
                continue
            if centre_y < 0:
                result.above.append(element_id)
            elif centre_y >= height:
                result.below.append(element_id)
            else:
                result.visible.append(element_id)
                _draw_mark(draw, font, element_id, rect)
            # One mark per element: a link wrapped over two lines is still one target.
            break
    result.image = PILImage.alpha_composite(base, overlay).convert("RGB")
    return result


def _draw_mark(draw: Any, font: Any, element_id: str, rect: DOMRectangle) -> None:
    red, green, blue = _colour(element_id)
    draw.rectangle(
        ((rect["left"], rect["top"]), (rect["right"], rect["bottom"])),
        outline=(red, green, blue, 255),
        fill=(red, green, blue, 40),
        width=2,
    )
    if rect["top"] > _LABEL_CLEARANCE:
        anchor, position = "lb", (rect["left"], rect["top"] - 1)
    else:
        anchor, position = "lt", (rect["left"], rect["bottom"] + 1)
    left, top, right, bottom = draw.textbbox(position, element_id, font=font, anchor=anchor)
    draw.rectangle(
        (
            (left - _LABEL_PADDING, top - _LABEL_PADDING),
            (right + _LABEL_PADDING, bottom + _LABEL_PADDING),
        ),
        fill=(red, green, blue, 255),
    )
    # Black on light labels, white on dark ones.
    luminance = 0.3 * red + 0.59 * green + 0.11 * blue
    text = (0, 0, 0, 255) if luminance > 110 else (255, 255, 255, 255)
    draw.text(position, element_id, fill=text, font=font, anchor=anchor)
