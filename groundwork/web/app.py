"""The FastAPI application: `create_app(settings)` builds one server (see `groundwork serve`).

Layers, outermost first: security headers, the error guard (no request content in logs), the
body-size limit, optional CORS (off unless origins are configured), then the routes: /healthz
(open), /api (token or session), /cds-services (CDS Hooks JWT), the web pages, /login/oidc (only
when an OpenID Connect provider is configured) and /static.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

import knowledge_base
from engine import __version__
from engine.models import Assessment
from engine.runtime import runner_for
from explain.models import Explanation
from groundwork.web import api, cds_hooks, errors, outcomes, pages, plans
from groundwork.web.middleware import AuthGate, BodyLimit, Guard, SecurityHeaders, StrictJson
from groundwork.web.models import Health, Readiness
from groundwork.web.plans import Contexts
from groundwork.web.cds_auth import KeySets
from groundwork.web.security import SESSION_COOKIE, Sessions, Throttle
from groundwork.web.settings import Settings

DESCRIPTION = ("Explainable, bottom-up intervention planning (regulate -> relate -> reason). "
               "Decision support for a qualified clinician; never a substitute for clinical "
               "judgement. Not affiliated with the Neurosequential Network. See docs/web.md.")


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        plans.hold_open(app.state)  # see plans.hold_open: one idle connection while serving
        runner_for(app.state.kb)  # the rules registered with the engine before the first request
        # What is loaded by now (the knowledge base, its compiled rules, the routes, the
        # modules) lives as long as the server: moved out of the collector's reach, a full
        # collection no longer walks it in the middle of somebody's request.
        gc.freeze()
        try:
            yield
        finally:
            plans.release(app.state)

    app = FastAPI(title="Groundwork", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None,  # the interactive docs load scripts from a CDN
                  lifespan=lifespan)
    state = app.state
    state.settings = settings
    state.kb = knowledge_base.load_for_plans(settings.kb)  # refused with lint errors
    state.sessions = Sessions(settings)
    state.throttle = Throttle()
    state.key_sets = KeySets(settings.cds_clients)
    state.contexts = Contexts()
    state.keeper = None
    errors.install(app)

    @app.get("/healthz", response_model=Health, tags=["health"], summary="Open: is the process up")
    def healthz() -> Health:
        return Health()

    @app.get("/readyz", response_model=Readiness, tags=["health"],
             summary="Open: can it serve (knowledge base loaded, audit store writable and intact)")
    def readyz() -> Readiness:
        return readiness(state)

    state.oidc = None
    if settings.oidc is not None:  # imported only when configured: Authlib costs a server without it nothing
        from groundwork.web import oidc
        state.oidc = oidc.Provider(settings.oidc)
        app.include_router(oidc.router)
    app.include_router(api.router)
    app.include_router(cds_hooks.router)
    app.include_router(pages.router)
    app.include_router(outcomes.api)
    app.include_router(outcomes.pages)
    static = resources.files("groundwork.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_credentials=False,
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(StrictJson)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    app.add_middleware(AuthGate)  # outside BodyLimit: credentials before any byte of a body
    app.add_middleware(Guard)
    app.add_middleware(SecurityHeaders)
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    return app


def readiness(state) -> Readiness:
    """Ready when the knowledge base is loaded and the audit store can take a record now: it
    opens for writing and passes the checks a writer makes before appending (a damaged,
    truncated or replaced store is not ready), without writing anything. 503 (E812) otherwise."""
    from dsl.errors import GroundworkError
    from engine.audit import integrity
    from groundwork.web.errors import ApiError
    from groundwork.web.plans import open_store

    kb = state.kb
    try:
        with open_store(state.settings, mode="create") as store:
            conn = store.conn
            conn.execute("BEGIN IMMEDIATE")  # writable: the write lock can be taken
            try:
                integrity.check_before_append(conn, store.display,
                                              full=integrity.changed_since_closed(store.display))
                records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
            finally:
                conn.execute("ROLLBACK")
    except (GroundworkError, ApiError) as error:
        message = error.first.message if isinstance(error, GroundworkError) else error.entries[0].message
        raise ApiError(503, "E812", f"not ready: the audit store cannot take a record ({message})",
                       path="(audit store)", headers={"Retry-After": "30"}) from None
    except Exception as error:  # noqa: BLE001 - any failure here means "not ready", said plainly
        raise ApiError(503, "E812", f"not ready: the audit store cannot be checked "
                                    f"({type(error).__name__})", path="(audit store)") from None
    return Readiness(knowledge_base=f"{kb.name} {kb.version} ({kb.content_hash[:12]})",
                     records=records)


def openapi(app: FastAPI) -> dict:
    """The generated schema, plus the models published from pydantic directly (the Assessment is
    read raw and validated like the CLI; the explanations are returned as JSON) and the security
    schemes each path needs."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {})
    models = components.setdefault("schemas", {})
    for name, model in (("Assessment", Assessment), ("Explanation", Explanation)):
        published = model.model_json_schema(ref_template="#/components/schemas/{model}")
        models.update(published.pop("$defs", {}))
        models[name] = published
    components["securitySchemes"] = {
        "apiToken": {"type": "http", "scheme": "bearer",
                     "description": "GROUNDWORK_TOKEN (or the token printed at start)"},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "Set by the login form; changes also need X-CSRF-Token"},
        "cdsJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "CDS Hooks: signed by a configured client; aud = endpoint URL"}}
    for path, operations in schema["paths"].items():
        needs: list[dict[str, list]] | None = ([{"apiToken": []}, {"session": []}] if path.startswith("/api/")
                 else [{"cdsJwt": []}] if path.startswith("/cds-services") else None)
        for operation in operations.values():
            if needs is not None:
                operation["security"] = needs
    app.openapi_schema = schema
    return schema
