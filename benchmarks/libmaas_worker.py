"""Runs inside python-libmaas's own virtual environment; the benchmark drives it.

Never imports maas_notebook. Reads one JSON command per line on stdin, answers one JSON
line on stdout, timing only the library calls (not the pipe):

    {"op": "connect", "url": U, "key": K, "n": 5} -> {"seconds": per-call, "count": n}
    {"op": "list", "n": 1}                        -> {"seconds": per-call, "count": machines}

The first line it prints says whether ``maas.client`` imports here:
``{"ready": true, "version": ..., "python": ...}`` or ``{"error": "..."}``.
"""

import json
import sys
import time
import traceback


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def error_line(exc):
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300] if str(exc) else type(exc).__name__


def main():
    try:
        from maas.client import connect
        from importlib.metadata import version
        reply({"ready": True, "version": version("python-libmaas"), "python": sys.version.split()[0]})
    except Exception as exc:  # noqa: BLE001 - reported to the benchmark, word for word
        traceback.print_exc()
        reply({"error": error_line(exc)})
        return 1
    client = None
    for line in sys.stdin:
        command = json.loads(line)
        try:
            n = command.get("n", 1)
            kept = []
            start = time.perf_counter()
            if command["op"] == "connect":
                for _ in range(n):
                    kept.append(connect(command["url"], apikey=command["key"]))
                seconds, count = time.perf_counter() - start, n
                client = kept[-1]
            elif command["op"] == "list":
                for _ in range(n):
                    kept.append(client.machines.list())
                seconds, count = time.perf_counter() - start, len(kept[-1])
            else:
                raise ValueError(f"unknown op {command['op']!r}")
            del kept
            reply({"seconds": seconds / n, "count": count})
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            reply({"error": error_line(exc)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
