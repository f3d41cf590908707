"""How likely the model finds a request after each tool's description: the decision's evidence.

A small model asked to *name* the tool a request needs answers from surface cues: the first
tool listed, a word the request shares with a tool. Asked the other way round, how likely the
request is as a message written for a given tool, it judges meaning: "is it sunny in Lisbon?"
is far likelier after a weather tool's description than after a song player's, though it
shares no word with either. The score of a tool is that log-likelihood minus the request's
log-likelihood with no tool in front (how much the tool explains the request beyond how
likely the words are anyway), so scores of different requests are comparable.

Each tool's text is evaluated on the loaded model's own context (on the model's thread) once:
its state is saved with the shared model and restored when the tool is offered again, so a
request costs one short batch per candidate tool, with logits kept only for the request's
tokens.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

from parlay_core.exceptions import ModelClientError
from parlay_core.tools import ToolSchema
from parlay_ext.models.llama_cpp._prompt import (
    arguments_available,
    asks_for_text,
    asks_how_or_why,
    names_the_action,
)
from parlay_ext.models.llama_cpp._sdk import Llama, llama_low_level, numpy

__all__ = [
    "BASELINE_CONTEXT",
    "CALL_MARGIN",
    "CALL_THRESHOLD",
    "NEAR_TIE",
    "candidate_tools",
    "likelihood_choice",
    "score_request",
    "tool_context",
]

# A longer request is scored on its first tokens, and a tool's text on its first tokens: the
# cost is one evaluation of the request per candidate tool, and an agent's instructions can be
# thousands of tokens long.
_MAX_REQUEST_TOKENS = 48
_MAX_CONTEXT_TOKENS = 64

BASELINE_CONTEXT = "A user message:"
"""The text in front of the request when no tool is (the score's reference)."""


def tool_context(schema: ToolSchema) -> str:
    """The text the request is scored after: the tool's signature and description."""
    parameters = cast("dict[str, Any]", schema.get("parameters", {}) or {})
    properties = cast("dict[str, Any]", parameters.get("properties", {}) or {})
    signature = f"{schema['name']}({', '.join(properties)})"
    description = schema.get("description", "").strip()
    head = f"{signature}: {description}" if description else signature
    return f"Tool: {head}\nA user message that needs this tool:"


def _log_softmax_at(row: Any, token: int) -> float:
    top = float(row.max())
    return float(row[token]) - (top + math.log(float(numpy.exp(row - top).sum())))


_CACHED_CONTEXTS = 256  # tool texts whose evaluated state is kept per loaded model

StateCache = dict[tuple[int, ...], Any]
"""The model's evaluated state after a tool's text, by the text's tokens: a tool offered again
costs only its request's tokens."""


_SEQUENCE = llama_low_level.llama_seq_id(0)  # the context's one sequence


def _fill(batch: Any, tokens: Sequence[int], start: int, logits_from: int) -> None:
    batch.n_tokens = len(tokens)
    for i, token in enumerate(tokens):
        batch.token[i] = token
        batch.pos[i] = start + i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = logits_from <= i < len(tokens) - 1


def _decode(llm: Llama, batch: Any) -> None:
    status = llama_low_level.llama_decode(llm.ctx, batch)
    if status != 0:
        raise ModelClientError(
            f"llama.cpp could not evaluate the tool decision's prompt (status {status}); "
            "try a larger n_ctx or tool_decision='model'."
        )


def _restore_or_evaluate(
    llm: Llama, batch: Any, prefix: tuple[int, ...], cache: StateCache
) -> None:
    """Leave the model's memory holding ``prefix`` evaluated, from ``cache`` when it can."""
    low = llama_low_level
    memory = low.llama_get_memory(llm.ctx)
    if memory is not None:
        low.llama_memory_clear(memory, True)
    saved = cache.pop(prefix, None)
    if saved is not None:
        if low.llama_state_seq_set_data(llm.ctx, saved, len(saved), _SEQUENCE):
            cache[prefix] = saved  # most recently used last: the oldest is evicted first
            return
        # Not restored (0 bytes read): evaluate the text again, as if it was never cached.
        if memory is not None:
            low.llama_memory_clear(memory, True)
    if not prefix:
        return
    _fill(batch, prefix, 0, len(prefix))
    _decode(llm, batch)
    size = low.llama_state_seq_get_size(llm.ctx, _SEQUENCE)
    state = (ctypes.c_uint8 * size)()
    low.llama_state_seq_get_data(llm.ctx, state, size, _SEQUENCE)
    while len(cache) >= _CACHED_CONTEXTS:
        del cache[next(iter(cache))]
    cache[prefix] = state


def _save_sequence(llm: Llama) -> Any:
    """The model's evaluated prompt (the sequence's memory), to put back after scoring."""
    low = llama_low_level
    size = low.llama_state_seq_get_size(llm.ctx, _SEQUENCE)
    state = (ctypes.c_uint8 * size)()
    low.llama_state_seq_get_data(llm.ctx, state, size, _SEQUENCE)
    return state


def _restore_sequence(llm: Llama, saved: Any, evaluated: int) -> int:
    """Put ``saved`` back; return how many of the prompt's tokens the model may reuse.

    An agent's next call sends the same long prompt plus a little: without its memory, the
    model would evaluate all of it again (seconds per call on a long conversation). One token
    fewer than were evaluated is reported, so that the next generation decodes the last one
    again: the logits the model holds now are the scoring's, not the prompt's.
    """
    low = llama_low_level
    memory = low.llama_get_memory(llm.ctx)
    if memory is not None:
        low.llama_memory_clear(memory, True)
    if saved is None or not low.llama_state_seq_set_data(llm.ctx, saved, len(saved), _SEQUENCE):
        if memory is not None:
            low.llama_memory_clear(memory, True)
        return 0
    return max(evaluated - 1, 0)


def _request_log_likelihood(
    llm: Llama, batch: Any, context: list[int], request: list[int], cache: StateCache
) -> float:
    """The summed log-probability of ``request``'s tokens after ``context``'s, on ``llm``."""
    prefix = tuple(context[:-1])
    _restore_or_evaluate(llm, batch, prefix, cache)
    # The context's last token is evaluated with the request: its logits predict the first
    # request token.
    _fill(batch, [context[-1], *request], len(prefix), 0)
    _decode(llm, batch)
    vocabulary = llm.n_vocab()
    total = 0.0
    for i, token in enumerate(request):
        pointer = llama_low_level.llama_get_logits_ith(llm.ctx, i)
        row = numpy.ctypeslib.as_array(
            ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(vocabulary,)
        )
        total += _log_softmax_at(row.astype(numpy.float64), token)
    return total


def score_request(
    llm: Llama, contexts: Sequence[str], request: str, cache: StateCache
) -> list[float]:
    """Each context's score for ``request``: its log-likelihood after the context minus after
    :data:`BASELINE_CONTEXT`.

    Runs on the model's thread; ``cache`` belongs to ``llm``. The model's evaluated prompt is
    saved first and put back after, so the next generation reuses it.
    """
    low = llama_low_level
    target = llm.tokenize((" " + request.strip()).encode(), add_bos=False, special=False)
    target = target[:_MAX_REQUEST_TOKENS]
    if not target:
        return [0.0 for _ in contexts]
    heads = [
        llm.tokenize(text.encode(), add_bos=True, special=False)[:_MAX_CONTEXT_TOKENS]
        for text in [BASELINE_CONTEXT, *contexts]
    ]
    size = max(len(h) for h in heads) + len(target)
    if size > llm.n_batch:
        raise ModelClientError(
            f"The tool decision needs a batch of {size} tokens but the model's n_batch is "
            f"{llm.n_batch}: raise n_batch in llama_kwargs or shorten the tool descriptions."
        )
    evaluated = llm.n_tokens
    saved = _save_sequence(llm) if evaluated else None
    batch = low.llama_batch_init(size, 0, 1)
    try:
        likelihoods = [_request_log_likelihood(llm, batch, head, target, cache) for head in heads]
    finally:
        low.llama_batch_free(batch)
        llm.n_tokens = _restore_sequence(llm, saved, evaluated)
    baseline = likelihoods[0]
    return [value - baseline for value in likelihoods[1:]]


CALL_THRESHOLD = 1.0
"""A tool is called only if it makes the request at least this much likelier (in nats) than
no tool does: a request no tool explains scores near zero, or below, for all of them."""

CALL_MARGIN = 1.5
"""...and only if it explains the request this much better than every other candidate, or
shares more words with the request than those within this margin: a chat request is often
a little likelier after any tool at all."""

NEAR_TIE = 1.0
"""Candidates within this many nats of the best are near-tied; among them the one sharing the
most words with the request is taken ("multiply 6 by 7": a small model finds it as likely for
``add`` as for ``multiply``)."""


def candidate_tools(schemas: Sequence[ToolSchema], request: str) -> list[ToolSchema]:
    """The tools ``request`` could be asking for, judged by the kinds of value it holds.

    A tool whose required number, e-mail address, currency or place the request lacks is not
    a candidate (see :func:`arguments_available`); a question asking how or why something is
    has none (see :func:`asks_how_or_why`), and another request asking for an explanation or
    advice keeps only tools whose verb it uses (see :func:`names_the_action`).
    """
    if asks_how_or_why(request):
        return []
    text = asks_for_text(request)
    return [
        s
        for s in schemas
        if arguments_available(s, request) and (not text or names_the_action(s, request))
    ]


def likelihood_choice(
    names: Sequence[str], scores: Sequence[float], shared_words: Mapping[str, int]
) -> str | None:
    """The tool to call given each candidate's :func:`score_request` score, or ``None``.

    Meaning decides and words only break near-ties: among the candidates within
    :data:`NEAR_TIE` of the best score, the one with the most ``shared_words`` (see
    :func:`~parlay_ext.models.llama_cpp._prompt.lexical_scores`) is picked. It is called when
    its score reaches :data:`CALL_THRESHOLD` and it leads every other candidate by
    :data:`CALL_MARGIN` or shares more words with the request than each one that comes
    that close.
    """
    score = dict(zip(names, scores, strict=True))
    if not score:
        return None
    top = max(score.values())
    near = [n for n in names if score[n] >= top - NEAR_TIE]
    pick = max(near, key=lambda n: (shared_words.get(n, 0), score[n]))
    close = [n for n in names if n != pick and score[n] > score[pick] - CALL_MARGIN]
    words = shared_words.get(pick, 0)
    leads = all(words > shared_words.get(n, 0) for n in close)
    return pick if score[pick] >= CALL_THRESHOLD and leads else None
