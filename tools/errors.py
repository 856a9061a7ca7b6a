"""Errors raised by the tools layer.

Every user-recoverable error says what is wrong, where (file, row, column or field), and how
to fix it, because both people and the agent read these messages to correct themselves.
"""

from __future__ import annotations

from semantic_layer.errors import problem_list


class ServicePilotError(Exception):
    """Base class for errors a user can act on; the CLI prints them without a traceback."""

    exit_code = 1


class ConfigError(ServicePilotError):
    """The settings (environment, TOML file or flags) are invalid."""

    exit_code = 2


class ConfigFileError(ConfigError):
    """A configuration YAML file (alert rules, notification channels, task rules) is invalid;
    ``problems`` lists every issue as 'file:line: ...', in one shared format."""

    what = "configuration"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"Invalid {self.what}: {len(problems)} problem(s).\n" + problem_list(problems)
        )


class WarehouseError(ServicePilotError):
    """The warehouse cannot be reached or does not have the expected shape."""

    exit_code = 3


class ImportValidationError(ServicePilotError):
    """An import file has bad values; nothing was written."""

    exit_code = 4

    def __init__(self, problems: list[str], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(
            f"Import refused: {self.total} problem(s) found, no rows were written.\n"
            + problem_list(problems, self.total)
        )


class MappingError(ServicePilotError):
    """A column-mapping YAML file is invalid."""

    exit_code = 2


class CaseIndexError(ServicePilotError):
    """The similar-case index (Chroma collection, embedding model, input file) is unusable."""

    exit_code = 2


class CaseIndexBusy(CaseIndexError):
    """A read of the case index kept failing while another process was writing it."""


class CaseCollectionMissing(CaseIndexError):
    """The case collection has not been built yet (the store itself is reachable)."""


class CaseSearchError(ServicePilotError):
    """A similar-case search request is invalid (unknown filter field, bad value)."""

    exit_code = 1


class KnowledgeError(ServicePilotError):
    """A knowledge-base document cannot be read (unknown format, missing reader, bad file)."""

    exit_code = 4


class CustomerNotFound(ServicePilotError):
    """A customer id that is not in the warehouse."""

    exit_code = 1
