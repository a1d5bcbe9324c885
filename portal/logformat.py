"""JSON log lines (python-json-logger) for production: Django's (settings LOGGING) and gunicorn's access log
(gunicorn.conf.py), one object per line."""

from pythonjsonlogger.json import JsonFormatter

# gunicorn's access atoms kept as fields. The path without its query string (a FranceConnect callback's carries
# the authorisation code), and neither the client's address nor its user agent: personal data stays out of logs
# (the reverse proxy keeps its own access log, under its own retention).
ACCESS_ATOMS = {"m": "method", "U": "path", "s": "status", "B": "bytes"}


class AccessJsonFormatter(JsonFormatter):
    """gunicorn hands its atoms to the access logger as the record's args (a dict): the chosen ones become
    fields, and the duration (atom D, microseconds) becomes duration_ms."""

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else {}
        for atom, field in ACCESS_ATOMS.items():
            if atom in atoms:
                log_record[field] = atoms[atom]
        if str(log_record.get("status", "")).isdigit():
            log_record["status"] = int(log_record["status"])
        if "D" in atoms:
            log_record["duration_ms"] = round(int(atoms["D"]) / 1000, 1)
