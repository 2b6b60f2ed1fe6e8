"""``plr-process NAME web``: a service's WSGI application (its manifest's ``Web``) served over HTTP by
waitress (threads; no eventlet), at ``PLR_<NAME>_WEB_LISTEN``. SIGTERM stops it, with exit status 0."""

from __future__ import annotations

import logging
import signal
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from services.common.manifest import ServiceManifest
    from services.common.settings import Settings

# how many requests it serves at once (each a thread)
WEB_THREADS = 8


def serve_web(manifest: ServiceManifest, settings: Settings) -> None:
    from waitress import serve

    assert manifest.web is not None
    app = manifest.web.app(settings)
    listen = settings.webs[manifest.name]

    def stop(*_: object) -> NoReturn:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("plr.web").info("%s web serving on http://%s", manifest.name, listen)
    try:
        serve(app, listen=listen, threads=WEB_THREADS, ident=None, _quiet=True)
    except SystemExit:
        return
