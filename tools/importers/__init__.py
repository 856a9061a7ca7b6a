"""Importers: CSV, Parquet and Excel files onto the warehouse contract through a YAML mapping.

``import_file(path, mapping, url)`` validates every row first and writes all tables of a file
in one transaction; re-importing the same file with the same mapping is a no-op. Built-in
mappings (``tools/importers/mappings/*.yml``) resolve by name, e.g. ``cfpb``.
See docs/importing.md.
"""

from tools.importers.loader import ImportResult, import_file
from tools.importers.mapping import Mapping, MappingFile, builtin_mappings, load_mapping

__all__ = [
    "ImportResult",
    "Mapping",
    "MappingFile",
    "builtin_mappings",
    "import_file",
    "load_mapping",
]
