"""A simulator of API Particulier v3's CAF/MSA routes for development and tests: same paths, parameters, error
codes and headers as the real API, so the portal's client switches to production by settings alone.
It refuses to serve unless DEBUG and API_PARTICULIER_SANDBOX are both on."""
