"""One module of projections per source service."""
