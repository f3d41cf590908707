"""MagenticOneGroupChat: task ledger, progress ledger parsing and retries, stalls, re-planning,
final answers, limits, state and config — with scripted orchestrator replies."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from pydantic import BaseModel, ValidationError

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.conditions import TextMentionTermination
from parlay_agentchat.exceptions import (
    AgentConfigurationError,
    InvalidTaskError,
    ProgressLedgerError,
    TeamRunError,
)
from parlay_agentchat.messages import BaseAgentEvent, BaseChatMessage, TextMessage
from parlay_agentchat.teams import MagenticOneGroupChat
from parlay_agentchat.teams._magentic_one_ledger import (
    LedgerFormatError,
    extract_json,
    parse_ledger,
)
from parlay_core import load_component
from parlay_core.models import ModelInfo, UserMessage
from parlay_core.testing import ReplayChatCompletionClient
from tests.agentchat._support import Scripted

Thread = Sequence[BaseAgentEvent | BaseChatMessage]
ORCH = "MagenticOneOrchestrator"
JSON_MODEL = ModelInfo(
    vision=False,
    function_calling=False,
    json_output=True,
    family="unknown",
    structured_output=False,
)


def ledger(
    *,
    speaker: str = "coder",
    instruction: str = "Write the code.",
    satisfied: bool = False,
    loop: bool = False,
    progress: bool = True,
    reason: str = "Not yet.",
) -> str:
    return json.dumps(
        {
            "is_request_satisfied": {"reason": reason, "answer": satisfied},
            "is_in_loop": {"reason": "-", "answer": loop},
            "is_progress_being_made": {"reason": "-", "answer": progress},
            "next_speaker": {"reason": "-", "answer": speaker},
            "instruction_or_question": {"reason": "-", "answer": instruction},
        }
    )


def done(reason: str = "The code is written.") -> str:
    return ledger(satisfied=True, reason=reason)


def sources(messages: Thread) -> list[str]:
    return [m.source for m in messages]


def team_of(
    model: ReplayChatCompletionClient, *agents: Scripted, **options: object
) -> MagenticOneGroupChat:
    return MagenticOneGroupChat(list(agents), model, **options)  # type: ignore[arg-type]


def prompt_of(model: ReplayChatCompletionClient, call: int) -> str:
    last = model.create_calls[call]["messages"][-1]
    assert isinstance(last, UserMessage)
    assert isinstance(last.content, str)
    return last.content


async def test_plans_directs_a_participant_and_ends_with_a_final_answer() -> None:
    model = ReplayChatCompletionClient(
        ["FACTS: none", "PLAN: coder codes", ledger(), done(), "Here is the final answer."],
        model_info=JSON_MODEL,
    )
    coder = Scripted("coder", ["print('hi')"])
    tester = Scripted("tester", [])
    team = team_of(model, coder, tester)
    result = await team.run(task="Write a greeting program.")

    assert sources(result.messages) == ["user", ORCH, ORCH, "coder", ORCH]
    task_ledger, instruction, _, final = (result.messages[i] for i in (1, 2, 3, 4))
    assert "Write a greeting program." in task_ledger.to_text()
    assert "FACTS: none" in task_ledger.to_text()
    assert "PLAN: coder codes" in task_ledger.to_text()
    assert "coder: Scripted agent coder." in task_ledger.to_text()
    assert instruction.to_text() == "Write the code."
    assert final.to_text() == "Here is the final answer."
    assert isinstance(final, TextMessage)
    assert result.stop_reason == "The code is written."

    # The participant saw the ledger and its instruction (the outer loop reset it first).
    assert coder.calls == ["reset"]
    assert coder.seen == [[task_ledger.to_text(), "Write the code."]]
    assert tester.seen == []
    # Facts, then plan, then the ledgers in JSON mode, then the final answer.
    assert "Write a greeting program." in prompt_of(model, 0)
    assert "tester: Scripted agent tester." in prompt_of(model, 1)
    assert "one of: coder, tester" in prompt_of(model, 2)
    assert model.create_calls[2]["json_output"] is True
    assert model.create_calls[1]["json_output"] is None
    assert "Write a greeting program." in prompt_of(model, 4)


async def test_sloppy_ledgers_are_read_and_bad_ones_corrected() -> None:
    fenced = "Sure!\n```json\n" + ledger(speaker="Coder").replace("false", '"no"') + "\n```"
    model = ReplayChatCompletionClient(
        [
            "facts",
            "plan",
            "I think the coder should go.",
            json.dumps({"is_request_satisfied": {"answer": False}}),
            ledger(speaker="nobody"),
            fenced,
            done(),
            "final",
        ]
    )
    coder = Scripted("coder", ["ok"])
    result = await team_of(model, coder).run(task="t")
    assert sources(result.messages) == ["user", ORCH, ORCH, "coder", ORCH]
    assert "The reply holds no JSON object." in prompt_of(model, 3)
    assert "no 'is_in_loop' entry" in prompt_of(model, 4)
    assert "'next_speaker' must be one of ['coder'], not 'nobody'" in prompt_of(model, 5)
    # Each correction follows the model's own bad reply.
    retry = model.create_calls[5]["messages"]
    assert retry[-2].content == ledger(speaker="nobody")


async def test_a_model_that_never_gives_a_ledger_fails_the_run() -> None:
    model = ReplayChatCompletionClient(["facts", "plan", *(["no json here"] * 10)])
    team = team_of(model, Scripted("coder", []))
    with pytest.raises(TeamRunError, match="no usable progress ledger in 10 attempts") as caught:
        await team.run(task="t")
    assert isinstance(caught.value.__cause__, ProgressLedgerError)
    assert len(model.create_calls) == 12


async def test_stalls_trigger_new_facts_a_new_plan_and_a_fresh_start() -> None:
    model = ReplayChatCompletionClient(
        [
            "facts v1",
            "plan v1",
            ledger(progress=False, instruction="try 1"),  # stall 1
            ledger(instruction="try 2"),  # progress: back to 0
            ledger(loop=True, instruction="try 3"),  # stall 1
            ledger(progress=False),  # stall 2: re-plan
            "facts v2",
            "plan v2",
            done("Solved after re-planning."),
            "final",
        ]
    )
    coder = Scripted("coder", ["a1", "a2", "a3"])
    team = team_of(model, coder, max_stalls=2)
    result = await team.run(task="hard task")
    texts = [m.to_text() for m in result.messages]
    assert sources(result.messages) == [
        "user",
        ORCH,  # ledger v1
        ORCH,
        "coder",
        ORCH,
        "coder",
        ORCH,
        "coder",
        ORCH,  # ledger v2
        ORCH,  # final answer
    ]
    assert texts[2::2][:3] == ["try 1", "try 2", "try 3"]
    assert "facts v2" in texts[8] and "plan v2" in texts[8]
    assert "facts v1" in prompt_of(model, 6)  # the old facts are updated
    assert coder.calls == ["reset", "reset"]
    assert result.stop_reason == "Solved after re-planning."
    state = (await team.save_state())["agent_states"][ORCH]
    assert (state["facts"], state["plan"], state["n_stalls"], state["n_rounds"]) == (
        "facts v2",
        "plan v2",
        0,
        5,
    )


async def test_max_turns_ends_with_a_final_answer() -> None:
    model = ReplayChatCompletionClient(
        ["facts", "plan", ledger(instruction="one"), ledger(instruction="two"), "best effort"]
    )
    coder = Scripted("coder", ["c1", "c2"])
    result = await team_of(model, coder, max_turns=2).run(task="t")
    assert sources(result.messages) == ["user", ORCH, ORCH, "coder", ORCH, "coder", ORCH]
    assert result.messages[-1].to_text() == "best effort"
    assert result.stop_reason == "Max rounds reached."


async def test_a_termination_condition_stops_without_a_final_answer_and_the_run_continues() -> None:
    model = ReplayChatCompletionClient(["facts", "plan", ledger(), done("Done now."), "final"])
    coder = Scripted("coder", ["STOP here"])
    team = team_of(model, coder, termination_condition=TextMentionTermination("STOP"))
    result = await team.run(task="t")
    assert sources(result.messages) == ["user", ORCH, ORCH, "coder"]
    assert result.stop_reason == "Text 'STOP' mentioned"

    state = await team.save_state()
    json.dumps(state)
    manager = state["agent_states"][ORCH]
    assert manager["type"] == "MagenticOneOrchestratorState"
    assert manager["version"] == "1.0.0"
    assert (manager["task"], manager["facts"], manager["plan"]) == ("t", "facts", "plan")
    assert (manager["n_rounds"], manager["n_stalls"]) == (1, 0)
    assert [m["source"] for m in manager["message_thread"]] == [ORCH, ORCH, "coder"]

    # Another team with the same names continues from the saved state.
    later = ReplayChatCompletionClient([done("Done now."), "final"])
    other = team_of(later, Scripted("coder", []))
    await other.load_state(state)
    resumed = await other.run()
    assert sources(resumed.messages) == [ORCH]
    assert resumed.stop_reason == "Done now."
    # The progress-ledger prompt follows the restored conversation.
    restored = later.create_calls[0]["messages"][:-1]
    assert [type(m).__name__ for m in restored] == [
        "AssistantMessage",
        "AssistantMessage",
        "UserMessage",
    ]
    assert restored[-1] == UserMessage(content="STOP here", source="coder")


async def test_a_run_without_any_task_fails() -> None:
    team = team_of(ReplayChatCompletionClient([]), Scripted("coder", []))
    with pytest.raises(TeamRunError, match="needs a task") as caught:
        await team.run()
    assert isinstance(caught.value.__cause__, InvalidTaskError)


async def test_reset_forgets_the_task() -> None:
    model = ReplayChatCompletionClient(["f", "p", done(), "final"])
    team = team_of(model, Scripted("coder", []))
    await team.run(task="t")
    await team.reset()
    state = (await team.save_state())["agent_states"][ORCH]
    assert (state["task"], state["facts"], state["plan"], state["n_rounds"]) == ("", "", "", 0)


async def test_the_component_config_round_trips() -> None:
    coder = AssistantAgent("coder", ReplayChatCompletionClient(["code"]))
    model = ReplayChatCompletionClient(["f", "p", ledger(), done(), "final"])
    team = MagenticOneGroupChat(
        [coder],
        model,
        max_stalls=4,
        max_turns=7,
        final_answer_prompt="Answer {task} briefly.",
        termination_condition=TextMentionTermination("END"),
    )
    dumped = team.dump_component()
    assert dumped.provider == "parlay_agentchat.teams.MagenticOneGroupChat"
    config = json.loads(dumped.model_dump_json())["config"]
    assert (config["max_stalls"], config["max_turns"]) == (4, 7)
    assert config["final_answer_prompt"] == "Answer {task} briefly."
    loaded = load_component(json.loads(dumped.model_dump_json()), expected=MagenticOneGroupChat)
    assert loaded.dump_component() == dumped
    result = await loaded.run(task="go")
    assert sources(result.messages) == ["user", ORCH, ORCH, "coder", ORCH]


def test_bad_arguments_are_refused() -> None:
    model = ReplayChatCompletionClient([])
    with pytest.raises(AgentConfigurationError, match="max_stalls"):
        team_of(model, Scripted("a"), max_stalls=0)
    with pytest.raises(AgentConfigurationError, match="at least one participant"):
        MagenticOneGroupChat([], model)


async def test_a_final_answer_prompt_without_a_task_placeholder_is_used_as_written() -> None:
    # AutoGen accepts such a prompt (its configs in the wild have them); only {task} is filled in.
    model = ReplayChatCompletionClient(
        ["FACTS: none", "PLAN: coder codes", ledger(), done(), "Final."], model_info=JSON_MODEL
    )
    team = team_of(model, Scripted("coder", ["print('hi')"]), final_answer_prompt="Sum it up.")
    result = await team.run(task="Write a greeting program.")
    assert result.messages[-1].to_text() == "Final."
    assert prompt_of(model, 4) == "Sum it up."


def test_ledger_reading() -> None:
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('prose {"a": {"b": 2}} more prose') == {"a": {"b": 2}}
    assert extract_json('```\n{"a": 3}\n```') == {"a": 3}
    with pytest.raises(LedgerFormatError):
        extract_json("[1, 2]")
    bare = json.loads(ledger(satisfied=False))
    bare["is_in_loop"] = "TRUE"
    bare["next_speaker"] = {"answer": " coder "}
    parsed = parse_ledger(json.dumps(bare), ["coder", "tester"])
    assert (parsed.is_in_loop, parsed.next_speaker, parsed.reasons["next_speaker"]) == (
        True,
        "coder",
        "",
    )
    bad = json.loads(ledger())
    bad["is_progress_being_made"]["answer"] = "maybe"
    with pytest.raises(LedgerFormatError, match="must be true or false, not 'maybe'"):
        parse_ledger(json.dumps(bad), ["coder"])
    bad = json.loads(ledger())
    bad["instruction_or_question"]["answer"] = 3
    with pytest.raises(LedgerFormatError, match="must be a string"):
        parse_ledger(json.dumps(bad), ["coder"])


STRUCTURED_MODEL = ModelInfo(
    vision=False,
    function_calling=False,
    json_output=True,
    family="unknown",
    structured_output=True,
)


async def test_a_model_with_structured_output_is_given_the_ledgers_schema() -> None:
    model = ReplayChatCompletionClient(
        ["facts", "plan", ledger(speaker="tester"), done(), "final"],
        model_info=STRUCTURED_MODEL,
    )
    tester = Scripted("tester", ["tested"])
    result = await team_of(model, Scripted("coder", []), tester).run(task="t")
    assert sources(result.messages) == ["user", ORCH, ORCH, "tester", ORCH]
    assert [call["json_output"] is None for call in model.create_calls] == [
        True,
        True,
        False,
        False,
        True,
    ]
    # Both ledger requests carry the same schema: the prompt's keys, a speaker of the team.
    schema = model.create_calls[2]["json_output"]
    assert isinstance(schema, type) and issubclass(schema, BaseModel)
    assert model.create_calls[3]["json_output"] is schema
    assert list(schema.model_fields) == [
        "is_request_satisfied",
        "is_in_loop",
        "is_progress_being_made",
        "next_speaker",
        "instruction_or_question",
    ]
    schema.model_validate_json(ledger(speaker="coder"))  # a well-formed ledger fits it
    with pytest.raises(ValidationError):
        schema.model_validate_json(ledger(speaker="nobody"))
    wrong = json.loads(ledger())
    wrong["is_in_loop"]["answer"] = "perhaps"
    with pytest.raises(ValidationError):
        schema.model_validate(wrong)
    # A constrained generator follows the JSON schema: the speaker is one of the names.
    speaker = schema.model_json_schema()["$defs"]["NextSpeaker"]["properties"]["answer"]
    assert speaker["enum"] == ["coder", "tester"]


async def test_a_model_without_json_mode_is_asked_in_words_and_its_reply_parsed() -> None:
    # AutoGen's behaviour: no JSON mode to ask for; the reply is read and corrected.
    plain = ModelInfo(
        vision=False,
        function_calling=False,
        json_output=False,
        family="unknown",
        structured_output=False,
    )
    model = ReplayChatCompletionClient(
        ["facts", "plan", "Prose first. " + ledger(), done(), "final"], model_info=plain
    )
    result = await team_of(model, Scripted("coder", ["ok"])).run(task="t")
    assert sources(result.messages) == ["user", ORCH, ORCH, "coder", ORCH]
    assert all(call["json_output"] is None for call in model.create_calls)
