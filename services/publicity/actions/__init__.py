"""The use cases of the publicity service, one module per use case (or a few closely related ones)."""
