"""A team saved as a declarative config, then run by the ``parlay`` command line.

The script builds a writer/critic team on ``default_model_client()``, dumps it to
``team.json`` (a component config: every agent, model client and condition with its settings)
and runs ``parlay run team.json --task ...`` in a subprocess, which loads the team from the file
and streams it in the Console. Run it with ``python examples/team_saved.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from parlay_agentchat.agents import AssistantAgent
from parlay_agentchat.conditions import MaxMessageTermination
from parlay_agentchat.teams import RoundRobinGroupChat
from parlay_ext.models import default_model_client


def parlay_command() -> list[str]:
    """The installed ``parlay`` script, or the same command line through ``python -m``."""
    script = Path(sysconfig.get_path("scripts")) / ("parlay.exe" if os.name == "nt" else "parlay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "parlay_agentchat"]


def main() -> int:
    model = default_model_client(max_tokens=32, temperature=0.0)
    team = RoundRobinGroupChat(
        [
            AssistantAgent("writer", model, system_message="Write one short line."),
            AssistantAgent("critic", model, system_message="Criticise it in one short line."),
        ],
        termination_condition=MaxMessageTermination(3),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "team.json"
        path.write_text(team.dump_component().model_dump_json(indent=2), encoding="utf-8")
        print(f"saved the team config ({path.stat().st_size} bytes) to team.json", flush=True)
        command = [*parlay_command(), "run", str(path), "--task", "A line about autumn."]
        print("running: parlay run team.json --task 'A line about autumn.'", flush=True)
        done = subprocess.run(command, check=False)
    print(f"parlay run exited with status {done.returncode}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
