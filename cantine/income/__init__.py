"""The income step of a dossier: the consent page, the DGFiP lookup it starts, a tax notice instead, what agents
check, and when the figures go. impot_client only talks to DGFiP and keeps what it answered."""
