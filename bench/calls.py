"""DynamoDB calls per operation, counted with botocore event hooks while each events/ file is handled."""

from __future__ import annotations

from signing_keys_local.stack import Stack, count_calls

Row = tuple[str, str, float | None, str]


def run(stack: Stack) -> list[Row]:
    return [
        (
            f"DynamoDB calls {name}",
            "count",
            float(sum(found.values())),
            ", ".join(f"{op}×{n}" for op, n in found.items()),
        )
        for name, found in count_calls(stack).items()
    ]
