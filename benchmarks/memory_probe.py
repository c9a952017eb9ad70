"""One measurement of figure 5, run in a fresh process by ``fig_memory.py``.

    python benchmarks/memory_probe.py imports|document|client CACHE_DIR URL API_KEY

Every mode imports the same modules; then ``document`` keeps the parsed describe document
(``json.loads`` of the cached file), and ``client`` builds a ``Client`` from the warm cache and
materialises every handler and action (``dir()``, then each action's ``params`` and ``title``).
Prints ``{"maxrss_mb": peak RSS (ru_maxrss), "vmhwm_mb": /proc VmHWM, "handlers": ...}``.
"""

import json
import resource
import sys

import maas_notebook  # noqa: F401 - the same imports in every mode
from maas_notebook import Client
from maas_notebook.profiles import DescribeCache
from maas_notebook.transport import api_root


def main(mode: str, cache_dir: str, url: str, api_key: str) -> None:
    cache, kept, handlers, actions = DescribeCache(cache_dir), None, 0, 0
    if mode == "document":
        kept = json.loads(cache.path_for(api_root(url)).read_bytes())
    elif mode == "client":
        kept = Client(url, api_key, cache=cache)
        for name in dir(kept):
            if name not in kept.description.handlers:
                continue
            handler, handlers = getattr(kept, name), handlers + 1
            for action_name in dir(handler):
                if action_name in handler.spec.actions:
                    action, actions = getattr(handler, action_name), actions + 1
                    action.params, action.title
    elif mode != "imports":
        raise SystemExit(f"unknown mode {mode!r}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with open("/proc/self/status") as status:  # the kernel's own peak, as a cross-check
        hwm_kb = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    print(json.dumps({"maxrss_mb": peak_kb / 1024, "vmhwm_mb": hwm_kb / 1024, "handlers": handlers, "actions": actions,
                      "alive": kept is not None or mode == "imports"}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
