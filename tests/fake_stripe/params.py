"""Stripe's request bodies: form-encoded, with nested keys, checked against each endpoint's parameters.

Stripe's API takes ``application/x-www-form-urlencoded`` bodies (and query strings for GET) in which
``metadata[order]=7`` is a hash and ``expand[0]=latest_charge`` (or ``expand[]=``) a list. Unknown
parameters are refused (``parameter_unknown``, since API version 2011-06-21), required ones must be
there (``parameter_missing``) and integers must be integers (``parameter_invalid_integer``: "10.5" is
refused, amounts are in the currency's smallest unit).
"""

import re
from urllib.parse import parse_qsl


class ApiError(Exception):
    """A Stripe error response: ``{"error": {type, code, message, param, ...}}`` with its HTTP status.

    ``saved`` says whether Stripe's idempotency layer keeps it for the key: a request refused by parameter
    validation never began executing, so it is not saved (the same key may be used again, fixed).
    """

    def __init__(self, status, message, *, type="invalid_request_error", code=None, param=None, saved=True, **extra):
        super().__init__(message)
        self.status = status
        self.saved = saved
        self.body = {"type": type, "message": message}
        if code:
            self.body["code"] = code
        if param:
            self.body["param"] = param
        self.body.update(extra)

    def response(self):
        return {"error": self.body}


def invalid(message, *, code=None, param=None):
    return ApiError(400, message, code=code, param=param, saved=False)


def parse_form(text: str) -> dict:
    """``a[b][0]=x&a[c]=y`` -> ``{"a": {"b": ["x"], "c": "y"}}`` (dicts keyed 0..n-1 become lists)."""
    root: dict = {}
    for key, value in parse_qsl(text, keep_blank_values=True, strict_parsing=False):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for index, part in enumerate(parts[:-1]):
            following = parts[index + 1]
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise invalid(f"Invalid parameter: {key} mixes a value and a hash", param=key)
            if following == "":  # expand[]=a&expand[]=b
                parts[index + 1] = str(len(child))
            node = child
        last = parts[-1]
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid parameter: {key} mixes a value and a hash", param=key)
        node[last] = value
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        indexes = sorted(int(key) for key in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(i)] for i in indexes]
    return converted


# --- Parameter types ------------------------------------------------------------------------------
class Param:
    def __init__(self, *, required=False):
        self.required = required

    def clean(self, name, value):
        if not isinstance(value, str):
            raise invalid(f"Invalid {self.label}: {name} must be a {self.label}", param=name)
        return value

    label = "string"


class Str(Param):
    def __init__(self, *, required=False, max_length=5000):
        super().__init__(required=required)
        self.max_length = max_length

    def clean(self, name, value):
        value = super().clean(name, value)
        if len(value) > self.max_length:
            raise invalid(
                f"Invalid string: {value[:40]}...; must be at most {self.max_length} characters",
                code="parameter_invalid_string",
                param=name,
            )
        return value


class Int(Param):
    label = "integer"

    def __init__(self, *, required=False, minimum=None, maximum=None):
        super().__init__(required=required)
        self.minimum, self.maximum = minimum, maximum

    def clean(self, name, value):
        value = super().clean(name, value)
        if not re.fullmatch(r"-?\d+", value):
            raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
        number = int(value)
        if self.minimum is not None and number < self.minimum:
            raise invalid(
                f"This value must be greater than or equal to {self.minimum}.",
                code="parameter_invalid_integer",
                param=name,
            )
        if self.maximum is not None and number > self.maximum:
            raise invalid(
                f"This value must be less than or equal to {self.maximum} (it currently is '{number}').",
                code="parameter_invalid_integer",
                param=name,
            )
        return number


class Bool(Param):
    label = "boolean"

    def clean(self, name, value):
        value = super().clean(name, value)
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"


class Enum(Param):
    def __init__(self, *values, required=False):
        super().__init__(required=required)
        self.values = values

    def clean(self, name, value):
        value = super().clean(name, value)
        if value not in self.values:
            raise invalid(f"Invalid {name}: must be one of {', '.join(self.values)}", param=name)
        return value


class Currency(Param):
    """A three-letter ISO code, lowercase in Stripe's objects (Stripe accepts either case)."""

    SUPPORTED = ("usd", "eur", "gbp", "cad", "aud", "chf", "sek", "nok", "dkk", "jpy", "nzd", "sgd")

    def clean(self, name, value):
        value = super().clean(name, value).lower()
        if value not in self.SUPPORTED:
            raise invalid(f"Invalid currency: {value}. Stripe currently supports these currencies: ...", param=name)
        return value


class Metadata(Param):
    """``metadata[key]=value``: up to 50 keys of at most 40 characters, values of at most 500."""

    label = "hash"

    def clean(self, name, value):
        if value == "":  # metadata= unsets it
            return {}
        if not isinstance(value, dict):
            raise invalid(f"Invalid hash: {name}", param=name)
        if len(value) > 50:
            raise invalid("You can specify up to 50 keys in metadata.", param=name)
        for key, item in value.items():
            if len(key) > 40:
                raise invalid("Metadata keys can be at most 40 characters long.", param=f"{name}[{key}]")
            if not isinstance(item, str) or len(item) > 500:
                raise invalid("Metadata values must be strings of at most 500 characters.", param=f"{name}[{key}]")
        return dict(value)


class List(Param):
    label = "array"

    def __init__(self, item, *, required=False):
        super().__init__(required=required)
        self.item = item

    def clean(self, name, value):
        if isinstance(value, str) and value == "":
            return []
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {name}", param=name)
        return [self.item.clean(f"{name}[{i}]", item) for i, item in enumerate(value)]


class Hash(Param):
    label = "hash"

    def __init__(self, fields, *, required=False):
        super().__init__(required=required)
        self.fields = fields

    def clean(self, name, value):
        if not isinstance(value, dict):
            raise invalid(f"Invalid hash: {name}", param=name)
        return check(value, self.fields, prefix=name)


EXPAND = List(Str())


def check(params: dict, spec: dict, *, prefix="") -> dict:
    """Validate ``params`` against ``spec`` ({name: Param}) the way Stripe does; returns the cleaned values."""

    def full(name):
        return f"{prefix}[{name}]" if prefix else name

    for name in params:
        if name not in spec:
            raise invalid(f"Received unknown parameter: {full(name)}", code="parameter_unknown", param=full(name))
    cleaned = {}
    for name, param in spec.items():
        value = params.get(name)
        if value is None or (value == "" and param.required):
            if param.required:
                raise invalid(f"Missing required param: {full(name)}.", code="parameter_missing", param=full(name))
            continue
        cleaned[name] = param.clean(full(name), value)
    return cleaned
