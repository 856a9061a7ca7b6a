"""The optional LLM layer: provider config, the LLM planner, agent tools and the agent loop.

Nothing here is imported unless an LLM is configured (``llm_provider`` other than ``none``), so
the offline path never loads LangChain. Modules:

* ``provider``     settings -> a LangChain chat model (OpenAI-compatible endpoint or local GGUF)
* ``local_server`` the llama.cpp server subprocess for a local GGUF file
* ``planner``      ``LLMPlanner(chat_model, catalog, fallback).plan(question, state) -> Plan``;
                   ``plan_detailed`` -> ``PlanOutcome`` with the user-facing notices
* ``draft``        the structured Draft the model fills, and draft -> validated Plan
* ``tools``        typed agent tools (the access policy is injected, never an argument)
* ``agent``        ``run_agent(...) -> AgentRun`` (final text, tool calls, MetricResults)
* ``context``      what the model is shown (catalog, masked history, result summaries)
* ``budget``       per-question token budget and deadline
* ``check``        ``servicepilot llm check``

See docs/llm.md.
"""
