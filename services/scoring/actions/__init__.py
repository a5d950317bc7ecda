"""The scoring use cases, one module each (or a few closely related ones), with the roles allowed beside them."""
