from franceconnect.sandbox.checks import register_sandbox_check

register_sandbox_check(
    "API_PARTICULIER_SANDBOX",
    "api_particulier_sandbox.E001",
    "Le simulateur d'API Particulier sert des quotients familiaux et des ressources fictifs à quiconque : "
    "API_PARTICULIER_SANDBOX=false en production, avec le jeton DataPass d'API Particulier.",
)
