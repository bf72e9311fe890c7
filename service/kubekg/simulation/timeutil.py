"""Timestamps as integer nanoseconds since the epoch (exact, like Go's time.Time), RFC 3339 in and out.

The simulators never read the clock: ``now`` always arrives as an RFC 3339 string in the request. Durations
accept Go's syntax ("1m30s", "15s", "500ms", "1.5h") or a number of seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from kubekg.simulation.errors import InvalidTime

NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Go's zero time.Time (0001-01-01T00:00:00Z): what an unset lastTransitionTime is.
ZERO_TIME = -62135596800 * NS
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
MAX_DURATION = 100 * 365 * 86400 * NS  # a century: longer is refused rather than overflowing a date
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS}


def parse_time(raw: object, path: str = "now") -> int:
    """An RFC 3339 timestamp (or a YAML datetime) as integer nanoseconds since the epoch."""
    if isinstance(raw, datetime):
        moment = raw if raw.tzinfo is not None else raw.replace(tzinfo=UTC)
        delta = moment - _EPOCH
        return (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000
    if not isinstance(raw, str):
        raise InvalidTime(path, f"{raw!r} is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    match = _RFC3339.match(raw.strip())
    if match is None:
        raise InvalidTime(path, f"{raw!r} is not an RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError as exc:
        raise InvalidTime(path, f"{raw!r}: {exc}") from exc
    delta = moment - _EPOCH
    nanos = int((frac or "").ljust(9, "0")) if frac else 0
    return (delta.days * 86400 + delta.seconds) * NS + nanos


def format_time(ns: int) -> str:
    """RFC 3339 in UTC with a 'Z'; fractional seconds only when there are any (trailing zeros trimmed)."""
    seconds, nanos = divmod(ns, NS)
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError as exc:
        raise InvalidTime("", "the simulated time runs past the year 9999") from exc
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def parse_duration(raw: object, path: str = "duration") -> int:
    """A duration ("1m30s", "500ms", "2h", or seconds as a number) as integer nanoseconds, 0 to a century."""
    value = _parse_duration(raw, path)
    if value > MAX_DURATION:
        raise InvalidTime(path, f"{raw!r} is longer than a century")
    return value


def _parse_duration(raw: object, path: str) -> int:
    if isinstance(raw, bool):
        raise InvalidTime(path, f"{raw!r} is not a duration")
    if isinstance(raw, int):
        if raw < 0:
            raise InvalidTime(path, f"{raw!r} is negative")
        return raw * NS
    if isinstance(raw, float):
        if not raw >= 0 or raw == float("inf"):
            raise InvalidTime(path, f"{raw!r} is not a duration")
        return round(raw * NS)
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidTime(path, f"{raw!r} is not a duration (e.g. 30s, 1m30s, 2h)")
    text = raw.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return round(float(text) * NS)
    total, pos = 0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += round(float(match.group(1)) * _UNIT_NS[match.group(2)])
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise InvalidTime(path, f"{raw!r} is not a duration (e.g. 30s, 1m30s, 2h)")
    return total


def seconds(ns: int) -> float:
    """Nanoseconds as (float) seconds, for output."""
    return ns / NS
