"""CLI commands that live in their own modules (registered by xlkpss.cli).

Each module defines one click command named ``command``.  Modules import only click at
top level; heavy libraries are imported inside the command so ``xlkpss --help`` stays fast.
"""

#: module name -> registered under this command name
COMMAND_MODULES = ("merge", "report", "fulfilment", "rollover", "catalogue", "registry", "chase", "history", "export", "demo")

from xlkpss import clitext as _clitext

_clitext.install()  # before the commands declare their options (click type names)
