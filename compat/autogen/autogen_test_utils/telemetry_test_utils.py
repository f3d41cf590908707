"""An in-memory span exporter and a tracer provider that feeds it, for the tracing tests."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

__all__ = ["MyTestExporter", "get_test_tracer_provider"]


class MyTestExporter(SpanExporter):
    """Keeps every exported span in a list."""

    def __init__(self) -> None:
        self.exported_spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported_spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def clear(self) -> None:
        self.exported_spans.clear()

    def get_exported_spans(self) -> list[ReadableSpan]:
        return list(self.exported_spans)


def get_test_tracer_provider(exporter: MyTestExporter) -> TracerProvider:
    """A tracer provider that exports each span to ``exporter`` as soon as it ends."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider
