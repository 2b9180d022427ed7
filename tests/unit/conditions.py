"""CloudFormation conditions and Fn::If, evaluated the way CloudFormation does, for given parameter values."""

from __future__ import annotations

from typing import Any

from signing_keys_local.template import Template

NO_VALUE = object()  # AWS::NoValue: the property is left out


def condition_holds(template: Template, name: str) -> bool:
    return _evaluate(template, template.document["Conditions"][name])


def _evaluate(template: Template, expression: Any) -> bool:
    ((function, argument),) = expression.items()
    if function == "Condition":
        return condition_holds(template, argument)
    if function == "Fn::Not":
        return not _evaluate(template, argument[0])
    if function == "Fn::And":
        return all(_evaluate(template, item) for item in argument)
    if function == "Fn::Or":
        return any(_evaluate(template, item) for item in argument)
    if function == "Fn::Equals":
        # CloudFormation compares the values as strings: Number parameters included.
        left, right = (str(template.resolve(item)) for item in argument)
        return left == right
    raise AssertionError(f"condition function {function} is not evaluated here")


def effective_value(template: Template, value: Any) -> Any:
    """The value CloudFormation uses: Fn::If decided, AWS::NoValue as NO_VALUE, Refs resolved."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return effective_value(template, when_true if condition_holds(template, condition) else when_false)
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    return template.resolve(value)
