"""The voting use cases, one module each, with the roles allowed (ROLES) and their refusals beside them.

Each is a plain async function taking the unit of work (and its inputs); none knows FastAPI or the Service."""
