"""The commune's side must act when API Particulier refuses its token, scope or settings: the alert recipients are
told what to check (every démarche that asks the CAF or the MSA raises it the same way), never anything personal."""

import logging

from django.utils.translation import gettext as _

from api_particulier.situation import ParticulierError
from portal.alerts import alert_raise

logger = logging.getLogger(__name__)


def alert_agents(error: ParticulierError, mode: str) -> None:
    """The kind, the mode and the correlation id; the alert adds the times."""
    message = "\n".join(
        [
            _("API Particulier (CAF, MSA) : %(reason)s") % {"reason": error.reason},
            _(
                "Vérifiez le jeton de la commune (API_PARTICULIER_TOKEN), son habilitation (les scopes du quotient "
                "familial et de la participation familiale EAJE), API_PARTICULIER_URL et API_PARTICULIER_RECIPIENT."
            ),
            _("Mode : %(mode)s. Identifiant de corrélation : %(correlation_id)s.")
            % {"mode": mode or "-", "correlation_id": error.correlation_id or "-"},
        ]
    )
    alert_raise(kind=f"api_particulier_{error.reason}", message=message)
    logger.error("api_particulier: alert %s (mode=%s)", error.reason, mode)
