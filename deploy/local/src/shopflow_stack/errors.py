"""The one error the stack runner reports to its user as it is."""


class StackError(RuntimeError):
    """Something the user must fix; the message says what."""
