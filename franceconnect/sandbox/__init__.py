"""A FranceConnect v2 simulator for development and tests: an OpenID provider the client cannot tell
apart from the real one where it matters (ES256 JWKS, signed userinfo, eidas1, short-lived codes and
tokens). It refuses to serve unless DEBUG and FRANCECONNECT_SANDBOX are both on."""
