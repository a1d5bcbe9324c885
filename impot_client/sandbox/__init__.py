"""A simulator of DGFiP's API Impôt particulier for development and tests: same paths, headers, error codes
and content type as the real gateway, so the portal's client switches to production by settings alone.
It refuses to serve unless DEBUG and IMPOT_SANDBOX are both on."""
