"""Built-in CLI commands (each module exposes ``command``, a click command or group).

They are registered through the same plugin hook as extensions (``assistant.builtins``,
``servicepilot_commands``); the eval command comes from the ``evals`` plugin (an entry point),
so the assistant never imports evals.
"""
