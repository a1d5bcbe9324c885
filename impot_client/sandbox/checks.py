from franceconnect.sandbox.checks import register_sandbox_check

register_sandbox_check(
    "IMPOT_SANDBOX",
    "impot_sandbox.E001",
    "Le simulateur de l'API Impôt particulier sert des revenus fictifs à quiconque : "
    "IMPOT_SANDBOX=false en production, avec les accès DataPass de la DGFiP.",
)
