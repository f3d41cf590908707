"""AgentChat agents built on parlay-ext's integrations: Magentic-One's team members.

Each subpackage needs an extra that also installs parlay-agentchat:
:mod:`parlay_ext.agents.web_surfer` (``web-surfer``), :mod:`parlay_ext.agents.file_surfer`
(``file-surfer``) and :mod:`parlay_ext.agents.magentic_one` (``magentic-one``).
"""

__all__: list[str] = []
