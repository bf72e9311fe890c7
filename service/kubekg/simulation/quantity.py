"""Kubernetes resource quantities ("200m", "1.5", "10Gi", "10G", "1e3") parsed exactly, as apimachinery does.

Follows ``k8s.io/apimachinery/pkg/api/resource/quantity.go``: a signed decimal number followed by a binary-SI
suffix (Ki..Ei), a decimal-SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2).
``MilliValue()`` and ``Value()`` round up (ceil), like ``ScaledValue``.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from decimal import Decimal

from kubekg.simulation.errors import InvalidQuantity

_CTX = decimal.Context(prec=80, rounding=decimal.ROUND_CEILING)

_DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<exp>[eE][+-]?[0-9]+)|(?P<bin>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<si>[numkMGTPE]?))$"
)
MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1
MIN_INT64 = -(2**63)
MAX_EXPONENT = 100


@dataclass(frozen=True, order=False)
class Quantity:
    """An exact quantity: ``value`` is a Decimal in base units (cores, bytes, requests per second...)."""

    value: Decimal
    text: str

    def milli_value(self) -> int:
        """ceil(value * 1000), like ``Quantity.MilliValue()``, saturated to the int64 range."""
        milli = int(
            _CTX.multiply(self.value, Decimal(1000)).to_integral_value(rounding=decimal.ROUND_CEILING)
        )
        return max(MIN_INT64, min(MAX_INT64, milli))

    def int_value(self) -> int:
        """ceil(value), like ``Quantity.Value()`` (bytes for storage)."""
        return int(self.value.to_integral_value(rounding=decimal.ROUND_CEILING))

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.value

    def __str__(self) -> str:
        return self.text


def parse_quantity(raw: object, path: str = "") -> Quantity:
    """Parse a quantity string (or a JSON/YAML number) exactly; raise InvalidQuantity naming ``path`` otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise InvalidQuantity(path, f"{raw!r} is not a quantity")
    if isinstance(raw, int):
        return Quantity(Decimal(raw), str(raw))
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise InvalidQuantity(path, f"{raw!r} is not a finite quantity")
        text = repr(raw)
        raw = text
    if not isinstance(raw, str):
        raise InvalidQuantity(path, f"{raw!r} is not a quantity string")
    text = raw.strip()
    match = _QUANTITY.match(text)
    if match is None:
        raise InvalidQuantity(
            path, f"{raw!r} is not a Kubernetes quantity (expected e.g. 200m, 1.5, 10Gi, 10G or 1e3)"
        )
    if match["exp"] and abs(int(match["exp"][1:])) > MAX_EXPONENT:
        raise InvalidQuantity(path, f"{raw!r}: the exponent is out of range (|e| <= {MAX_EXPONENT})")
    number = Decimal(match["num"] if not match["num"].endswith(".") else match["num"] + "0")
    if match["sign"] == "-":
        number = -number
    if match["exp"]:
        value = _CTX.multiply(number, Decimal(10) ** int(match["exp"][1:]))
    elif match["bin"]:
        value = _CTX.multiply(number, Decimal(2) ** _BINARY_SI[match["bin"]])
    else:
        value = _CTX.multiply(number, _CTX.power(Decimal(10), _DECIMAL_SI[match["si"] or ""]))
    return Quantity(value.normalize(_CTX) if value != 0 else Decimal(0), text)


def milli(raw: object, path: str = "") -> int:
    """The milli-value of a quantity (what the HPA compares)."""
    return parse_quantity(raw, path).milli_value()


def format_milli(value: int) -> str:
    """The canonical DecimalSI string of a milli-value, like ``resource.NewMilliQuantity(v, DecimalSI).String()``."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    # largest SI exponent (multiple of 3) that keeps an integer mantissa; milli is exponent -3
    exponent = -3
    while exponent < 18 and magnitude % 1000 == 0:
        magnitude //= 1000
        exponent += 3
    suffix = {-3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}[exponent]
    return f"{sign}{magnitude}{suffix}"


def format_decimal(value: Decimal) -> str:
    """A plain string for an exact quantity value (used in messages)."""
    text = format(value.normalize(_CTX), "f")
    return text
