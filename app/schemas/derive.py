"""Response schemas derived from the row shapes in ``app/domain/``, so a field is declared once.

A row field's type, default and ``metadata["description"]`` become the schema field's; a field whose
``metadata["api"]`` is False stays out of the API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model


def response_schema(
    name: str,
    row: type,
    *,
    doc: str,
    module: str,
    example: dict[str, Any] | None = None,
    only: Iterable[str] | None = None,
    leave_out: Iterable[str] = (),
) -> type[BaseModel]:
    """A pydantic model called ``name`` with ``row``'s fields (``only`` those, in that order, or all but
    ``leave_out``)."""
    hints = get_type_hints(row)
    declared = {item.name: item for item in dataclasses.fields(row)}
    names = list(only) if only is not None else [n for n in declared if n not in set(leave_out)]
    fields: dict[str, Any] = {}
    for item in (declared[name] for name in names):
        if not item.metadata.get("api", True):
            continue
        default = ... if item.default is dataclasses.MISSING else item.default
        fields[item.name] = (hints[item.name], Field(default, description=item.metadata.get("description")))
    config = ConfigDict(json_schema_extra={"examples": [example]}) if example is not None else None
    return create_model(  # type: ignore[call-overload,no-any-return]
        name, __config__=config, __doc__=doc, __module__=module, **fields
    )
