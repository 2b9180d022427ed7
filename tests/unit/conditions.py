"""CloudFormation conditions and Fn::If, evaluated the way CloudFormation does, for given parameter values."""

from __future__ import annotations

from typing import Any

from signing_keys_local.template import Template

NO_VALUE = object()  # AWS::NoValue: the property is left out


def condition_holds(template: Template, name: str) -> bool:
    return template.condition_holds(name)


def effective_value(template: Template, value: Any) -> Any:
    """The value CloudFormation uses: Fn::If decided, AWS::NoValue as NO_VALUE, Refs resolved."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return effective_value(template, when_true if condition_holds(template, condition) else when_false)
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    return template.resolve(value)
