"""maas_notebook: the whole API of any MAAS server, in Jupyter and IPython.

::

    from maas_notebook import connect
    client = connect()                      # MAAS_URL / MAAS_API_KEY, or a maascli profile
    client.machines.read(status="ready")

In IPython or Jupyter, ``%load_ext maas_notebook`` adds the ``%maas`` magics.
Importing this package imports neither pandas, ipywidgets nor the IPython shell.
"""

from .client import APIChangedWarning, Client, connect
from .errors import MAASError

__all__ = ["Client", "connect", "MAASError", "APIChangedWarning"]
__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """``%load_ext maas_notebook``: register the ``%maas`` line and cell magics."""
    from .magic import load_ipython_extension as load
    load(ipython)


def unload_ipython_extension(ipython):
    """``%unload_ext maas_notebook``: remove the magics again."""
    from .magic import unload_ipython_extension as unload
    unload(ipython)
