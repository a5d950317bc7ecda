"""`exemplar topics` on a real Apache Kafka broker: creates the topics with their configs, and brings existing ones
(created by a service with the broker's defaults) to the policy; running it again changes nothing."""
from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.topics import apply, describe, plan
from shared.contracts import topics
from tests.support import fresh_settings


async def test_topics_are_created_or_aligned_with_explicit_retention(kafka_of):
    settings = fresh_settings(kafka_of("apache"))
    ballots = topics.qualified(settings.topic_prefix, topics.BALLOTS)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:  # as a service would have made it: no configs of its own
        await admin.create_topics([NewTopic(ballots, 6, 1)])
    finally:
        await admin.close()
    env = {"EXEMPLAR_KAFKA_COMMAND_RETENTION_MS": "86400000"}
    policies = plan(settings, env=env)
    done = await apply(settings, policies)
    assert sum(line.startswith("created ") for line in done) == len(topics.ALL) - 1
    current = await describe(settings, [p.name for p in policies])
    for p in policies:
        for key, value in p.configs.items():
            assert current[p.name][key] == value, (p.name, key)
    assert current[ballots]["retention.ms"] == "86400000"
    assert current[topics.qualified(settings.topic_prefix, topics.VOTING)]["retention.ms"] == "-1"
    again = await apply(settings, plan(settings, env=env))
    assert not any(line.startswith("created ") for line in again)
