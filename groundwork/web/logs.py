"""Access log lines with the method, the path (no query string) and the status: nothing a request
carried. uvicorn's own format would include the query string."""

from __future__ import annotations

import logging


class AccessFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == 5:  # uvicorn: client address, method, full path, http version, status
            _, method, path, _, status = args
            record = logging.makeLogRecord({**record.__dict__, "args": (),
                                            "msg": f"{method} {str(path).split('?', 1)[0]} {status}"})
        return super().format(record)
