"""Local development library: the local Kafka and MongoDB servers, the whole stack, demo seeding and Apache
Kafka for conformance. Tests, the demo and the benchmark import it; the production image does not contain it."""
