"""What a command run in the test's own process printed, without the process's log lines.

The kit logs JSON lines to stdout, so a test that captures stdout around a command also
captures whatever else the process logs meanwhile: a background task of an earlier test,
or a Kafka client of one collected unclosed. Those lines are JSON objects; a command's
output never starts with `{`.
"""


def printed(out: str) -> list[str]:
    """The lines of captured stdout `out`, log lines left out."""
    return [line for line in out.splitlines() if not line.startswith("{")]
