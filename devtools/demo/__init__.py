"""Demo programme: realistic Chinese data seeded through the services' own HTTP APIs, then a short simulated flow."""
