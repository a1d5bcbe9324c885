"""Reading captured log records in tests that check nothing personal is logged."""

import re

# A correlation id is a random UUID: its hex digits can spell any short figure (« 812 »,
# « 48213 »), so the secret scan reads the lines with the ids masked.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
# A measured duration can spell one as well, as a float argument (0.3812710001511732) or in
# the message (duration_ms=812 on a slow machine); a personal figure is never a float.
DURATION = re.compile(r"duration_ms=\d+")


def _unmeasured(args):
    """A record's arguments with their timings masked."""
    if isinstance(args, dict):
        return {key: _unmeasured_value(value) for key, value in args.items()}
    return tuple(_unmeasured_value(value) for value in args or ())


def _unmeasured_value(value):
    return "<durée>" if isinstance(value, float) else value


def logged_lines(records):
    """Each record's message and arguments, correlation ids and timings masked."""
    return [_masked(f"{record.getMessage()} {_unmeasured(record.args)!r}") for record in records]


def _masked(line):
    return DURATION.sub("duration_ms=<durée>", UUID.sub("<uuid>", line))
