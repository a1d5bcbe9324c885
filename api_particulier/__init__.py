"""API Particulier v3 (CAF and MSA data: quotient familial, participation familiale EAJE), a State-API app."""
