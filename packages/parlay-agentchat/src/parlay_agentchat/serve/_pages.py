"""The server-rendered pages of ``parlay serve``: plain HTML, a little inline script, no build.

Everything shown is escaped. The session page renders its whole history on the server and then
follows the live stream with an ``EventSource``; a status change reloads the page, so the
controls (answer, stop, resume) always come from the server.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from parlay_agentchat.serve._sessions import RESUMABLE
from parlay_agentchat.serve._store import SessionRecord, StoredEvent
from parlay_agentchat.serve._streams import event_payload
from parlay_agentchat.serve._teams import ServedTeam

__all__ = ["error_page", "index_page", "session_page"]

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:.7em 1.2em}header a{color:#fff;text-decoration:none}
main{max-width:60em;margin:1em auto;padding:0 1em}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:1em;margin-bottom:1em}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:.2em 0 .6em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3em .5em;
border-bottom:1px solid #eee}textarea{width:100%;box-sizing:border-box;font:inherit}
button{font:inherit;padding:.3em 1em;border-radius:5px;border:1px solid #1d2330;
background:#1d2330;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#1d2330}
.status{display:inline-block;padding:0 .5em;border-radius:4px;background:#e4e7ec;font-size:.9em}
.status.running{background:#d7ecff}.status.waiting{background:#ffe9b3}
.status.finished{background:#d5f2dc}.status.failed,.status.interrupted,.status.stopped{
background:#fbd9d9}.msg{border-left:3px solid #7b8aa5;padding:.3em .7em;margin:.5em 0;
background:#fafbfc}.msg .who{font-weight:600}.msg .type{color:#6a7385;font-size:.85em}
.msg pre{white-space:pre-wrap;margin:.2em 0;font:inherit}.usage{color:#6a7385;font-size:.8em}
.event{color:#6a7385;font-size:.9em;margin:.4em 0}.preview{opacity:.7}.muted{color:#6a7385}
.ask{border:2px solid #e0a800;background:#fffaf0}.team{margin-bottom:1em}
"""


def _layout(title: str, body: str, script: str = "") -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · parlay serve</title><style>{_STYLE}</style></head><body>"
        '<header><a href="/"><b>Parlay</b> serve</a></header>'
        f"<main>{body}</main>{script}</body></html>"
    )


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _status(status: str) -> str:
    return f'<span class="status {escape(status)}" data-status="{escape(status)}">{escape(status)}</span>'


def index_page(teams: Sequence[ServedTeam], sessions: Sequence[SessionRecord]) -> str:
    """The start page: the served teams (each with a task form) and the past sessions."""
    team_html: list[str] = []
    for team in teams:
        head = (
            f"<h2>{escape(team.name)} <span class=muted>{escape(team.kind)}</span></h2>"
            f"<div class=muted>{escape(team.description)}</div>"
            f"<div>Participants: {escape(', '.join(team.participants) or '-')}</div>"
        )
        if team.error is not None:
            form = f'<p class="error">Cannot run: {escape(team.error)}</p>'
        else:
            form = (
                f'<form method=post action="/sessions" class="start" data-team="{escape(team.name)}">'
                f'<input type=hidden name=team value="{escape(team.name)}">'
                '<textarea name=task rows=2 required placeholder="A task for the team"></textarea>'
                "<button type=submit>Start session</button></form>"
            )
        team_html.append(f'<div class="team">{head}{form}</div>')
    rows = "".join(
        f'<tr><td><a href="/sessions/{escape(s.id)}">{escape(s.title)}</a></td>'
        f"<td>{escape(s.team)}</td><td>{_status(s.status)}</td><td>{_when(s.updated)}</td>"
        f"<td>{s.prompt_tokens + s.completion_tokens}</td></tr>"
        for s in sessions
    )
    session_html = (
        "<table id=sessions><tr><th>Session</th><th>Team</th><th>Status</th><th>Updated</th>"
        f"<th>Tokens</th></tr>{rows}</table>"
        if sessions
        else "<p class=muted>No sessions yet.</p>"
    )
    body = (
        f"<section><h1>Teams</h1>{''.join(team_html) or '<p>No teams.</p>'}</section>"
        f"<section><h1>Sessions</h1>{session_html}</section>"
    )
    return _layout("Teams and sessions", body)


def _event_html(event: Mapping[str, Any]) -> str:
    if event.get("kind") == "message":
        usage = event.get("usage")
        usage_html = (
            f"<div class=usage>tokens: {usage['prompt_tokens']} prompt, "
            f"{usage['completion_tokens']} completion</div>"
            if usage
            else ""
        )
        return (
            f'<div class=msg data-seq="{event["seq"]}" data-type="{escape(str(event["type"]))}">'
            f"<span class=who>{escape(str(event['source']))}</span> "
            f"<span class=type>{escape(str(event['type']))}</span>"
            f"<pre>{escape(str(event['text']))}</pre>{usage_html}</div>"
        )
    detail = str(event.get("detail") or "")
    return (
        f'<div class=event data-seq="{event["seq"]}">#{event["seq"]} '
        f"{_status(str(event.get('status')))} {escape(detail)}</div>"
    )


_SCRIPT = """<script>
(function () {
  var box = document.getElementById("events"), status = document.body.dataset.status;
  var source = new EventSource("/api/sessions/" + document.body.dataset.session +
                               "/stream?after=" + document.body.dataset.lastSeq);
  var previews = {}, last = Number(document.body.dataset.lastSeq);
  function add(html) { box.insertAdjacentHTML("beforeend", html); }
  function el(tag, cls, text) {
    var e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text; return e;
  }
  source.addEventListener("chunk", function (e) {
    var d = JSON.parse(e.data), p = previews[d.source];
    if (!p) {
      p = el("div", "msg preview"); p.appendChild(el("span", "who", d.source));
      p.appendChild(el("pre")); box.appendChild(p); previews[d.source] = p;
    }
    p.lastChild.textContent += d.text;
  });
  source.addEventListener("message", function (e) {
    var d = JSON.parse(e.data);
    if (d.seq <= last) return;  // already on the page
    last = d.seq;
    if (previews[d.source]) { previews[d.source].remove(); delete previews[d.source]; }
    var m = el("div", "msg"); m.dataset.seq = d.seq; m.dataset.type = d.type;
    m.appendChild(el("span", "who", d.source)); m.appendChild(document.createTextNode(" "));
    m.appendChild(el("span", "type", d.type)); m.appendChild(el("pre", "", d.text));
    if (d.usage) {
      m.appendChild(el("div", "usage", "tokens: " + d.usage.prompt_tokens + " prompt, " +
                       d.usage.completion_tokens + " completion"));
      var total = document.getElementById("total");
      total.dataset.prompt = Number(total.dataset.prompt) + d.usage.prompt_tokens;
      total.dataset.completion = Number(total.dataset.completion) + d.usage.completion_tokens;
      total.textContent = "tokens: " + total.dataset.prompt + " prompt, " +
                          total.dataset.completion + " completion";
    }
    box.appendChild(m);
  });
  source.addEventListener("status", function (e) {
    var d = JSON.parse(e.data);
    if (d.seq <= last) return;
    last = d.seq;
    if (d.status !== status) { source.close(); location.reload(); }
  });
})();
</script>"""


def session_page(
    record: SessionRecord, events: Sequence[StoredEvent], team: ServedTeam | None
) -> str:
    """One session: its history, the live stream, and the answer, stop and resume controls.

    ``record`` and ``events`` must be read together; the stream starts after the last event.
    """
    history = "".join(_event_html(event_payload(e)) for e in events)
    controls: list[str] = []
    base = f"/sessions/{escape(record.id)}"
    if record.status == "running":
        controls.append(
            f'<form method=post action="{base}/stop"><button class=secondary id=stop>'
            "Stop</button></form>"
        )
    if record.status in RESUMABLE:
        controls.append(
            f'<form method=post action="{base}/resume"><button id=resume>Resume</button></form>'
        )
    ask = ""
    pending = record.pending
    if record.status == "waiting" and pending is not None:
        request_id = pending.get("request_id") or ""
        ask = (
            f"<section class=ask><h2>{escape(str(pending.get('agent')))}, your answer</h2>"
            f"<p id=prompt>{escape(str(pending.get('prompt') or ''))}</p>"
            f'<form method=post action="{base}/answer" id=answer>'
            f'<input type=hidden name=request_id value="{escape(str(request_id))}">'
            "<textarea name=text rows=3 required autofocus></textarea>"
            "<button type=submit>Send</button></form></section>"
        )
    error = f'<p class="error">{escape(record.error)}</p>' if record.error else ""
    kind = f" ({escape(team.kind)})" if team is not None else ""
    body = (
        f"<section><h1>{escape(record.title)}</h1>"
        f"<div>Team <b>{escape(record.team)}</b>{kind} · {_status(record.status)} · "
        f'<span id=total data-prompt="{record.prompt_tokens}" '
        f'data-completion="{record.completion_tokens}">tokens: {record.prompt_tokens} prompt, '
        f"{record.completion_tokens} completion</span></div>{error}<div style='display:flex;gap:.5em;margin-top:.5em'>"
        f"{''.join(controls)}</div></section>"
        f"{ask}<section><h2>Messages</h2><div id=events>{history}</div></section>"
    )
    page = _layout(record.title, body, _SCRIPT)
    data = (
        f'<body data-session="{escape(record.id)}" data-status="{escape(record.status)}" '
        f'data-last-seq="{events[-1].seq if events else 0}">'
    )
    return page.replace("<body>", data, 1)


def error_page(status: int, message: str) -> str:
    """A page for an error: what went wrong and a way back."""
    body = (
        f"<section><h1>Error {status}</h1><p>{escape(message)}</p>"
        '<p><a href="/">Back to the teams and sessions</a></p></section>'
    )
    return _layout(f"Error {status}", body)
