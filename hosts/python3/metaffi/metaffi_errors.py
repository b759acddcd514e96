"""The exceptions of the metaffi package."""
from typing import Optional


class MetaFFIError(Exception):
    """Something failed across a runtime boundary: a foreign exception, Go error or panic
    (then ``foreign_type``, ``foreign_message`` and ``foreign_stack`` say what the foreign
    code raised), a value that cannot cross (out of range, nested too deeply, not Unicode),
    a module or entity that cannot be loaded, a released runtime."""

    foreign_type: str = ""
    foreign_message: str = ""
    foreign_stack: Optional[str] = None

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.foreign_message = message


class ForeignError(MetaFFIError):
    """An exception raised by foreign code (a Java exception, a Go error or panic)."""

    def __init__(self, foreign_type: str, message: str, _type: Optional[str] = None,
                 foreign_stack: Optional[str] = None, _host_error: int = 0) -> None:
        super().__init__(f"{foreign_type}: {message}" if foreign_type else message)
        self.foreign_type = foreign_type
        self.foreign_message = message
        self.foreign_stack = foreign_stack
