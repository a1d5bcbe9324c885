"""FranceConnect sign-in, and its simulator for development (franceconnect.sandbox)."""

import warnings

import authlib.deprecate  # noqa: F401  first, so that its own filters outlive the block below

# authlib 1.9 warns, once, when its httpx integration (franceconnect.client) is first imported, that it prefers the
# httpx2 package: every command printed it at start. Its fix, installing httpx2, would move authlib's client onto a
# second HTTP library that our httpx 0.28 pin, our timeouts and respx in the tests do not cover; authlib still
# supports httpx. The integration is imported here, with that one message ignored: the app loads first at every
# start (manage.py, WSGI, pytest), and later imports find the module loaded and say nothing.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=DeprecationWarning)
    import authlib.integrations.httpx_client  # noqa: F401
