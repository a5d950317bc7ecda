"""The installation's Kafka topics with explicit partitions, replication, min.insync.replicas and retention.

The services create missing topics at start-up with the partitions and replication factor of their settings, and
nothing else (a broker's defaults would then decide durability and retention). `exemplar topics` (the Kubernetes
Job deploy/k8s/topics-job.yaml) creates them beforehand, or brings existing ones to this policy:

| topic | retention | why |
|---|---|---|
| the four `*.events` topics | forever (`retention.ms=-1`) | they are the log the read models are rebuilt from (`exemplar replay`) |
| `deadletter` | forever | a dead letter is never silently dropped; `exemplar dlq redrive` reads them |
| `voting.ballots` (commands) | 30 days | a cast's effect lives in voting's database and in `voting.events` once counted |

Settings (environment): EXEMPLAR_KAFKA_PARTITIONS and EXEMPLAR_KAFKA_REPLICATION_FACTOR (as the services read
them), EXEMPLAR_KAFKA_MIN_INSYNC_REPLICAS, EXEMPLAR_KAFKA_EVENT_RETENTION_MS, EXEMPLAR_KAFKA_COMMAND_RETENTION_MS and
EXEMPLAR_KAFKA_DEADLETTER_RETENTION_MS (milliseconds, -1 for ever).
"""  # noqa: E501 -- the rows of a Markdown table cannot wrap
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import topics
from shared.kafka import admin_kwargs
from shared.settings import Settings

DAY_MS = 24 * 3600 * 1000
DEFAULTS = {"EXEMPLAR_KAFKA_MIN_INSYNC_REPLICAS": 1, "EXEMPLAR_KAFKA_EVENT_RETENTION_MS": -1,
            "EXEMPLAR_KAFKA_COMMAND_RETENTION_MS": 30 * DAY_MS, "EXEMPLAR_KAFKA_DEADLETTER_RETENTION_MS": -1}


@dataclass(frozen=True)
class TopicPolicy:
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]


def _int_env(env: dict[str, str], key: str) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return DEFAULTS[key]
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{key} must be an integer (got {raw!r})") from None


def plan(settings: Settings, env: dict[str, str] | None = None) -> list[TopicPolicy]:
    """The policy of every topic of the installation, from its settings and the environment."""
    env = dict(os.environ if env is None else env)
    min_isr = _int_env(env, "EXEMPLAR_KAFKA_MIN_INSYNC_REPLICAS")
    if not 1 <= min_isr <= settings.kafka_replication_factor:
        raise ValueError(f"EXEMPLAR_KAFKA_MIN_INSYNC_REPLICAS={min_isr} must be between 1 and "
                         f"EXEMPLAR_KAFKA_REPLICATION_FACTOR={settings.kafka_replication_factor}")
    retention = {t: _int_env(env, "EXEMPLAR_KAFKA_EVENT_RETENTION_MS") for t in topics.EVENT_TOPICS}
    retention[topics.BALLOTS] = _int_env(env, "EXEMPLAR_KAFKA_COMMAND_RETENTION_MS")
    retention[topics.DEAD_LETTER] = _int_env(env, "EXEMPLAR_KAFKA_DEADLETTER_RETENTION_MS")
    return [TopicPolicy(topics.qualified(settings.topic_prefix, t), settings.kafka_partitions,
                        settings.kafka_replication_factor,
                        {"min.insync.replicas": str(min_isr), "retention.ms": str(retention[t]),
                         "cleanup.policy": "delete"})
            for t in topics.ALL]


async def apply(settings: Settings, policies: list[TopicPolicy]) -> list[str]:
    """Create the missing topics with their configs and set the configs of the existing ones; returns what it did."""
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    done: list[str] = []
    try:
        existing = set(await admin.list_topics())
        missing = [p for p in policies if p.name not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(p.name, p.partitions, p.replication_factor,
                                                    topic_configs=p.configs) for p in missing])
            except TopicAlreadyExistsError:
                pass
            done += [f"created {p.name} ({p.partitions} partitions, replication {p.replication_factor})"
                     for p in missing]
            for _ in range(50):  # topic metadata can lag creation by a moment
                if {p.name for p in missing} <= set(await admin.list_topics()):
                    break
                await asyncio.sleep(0.1)
        responses = await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, p.name, p.configs)
                                               for p in policies])
        for response in responses:
            for error_code, message, _type, name in response.resources:
                if error_code:
                    raise RuntimeError(f"setting the configs of {name} failed: error {error_code} {message}")
        done += [f"set {p.name}: " + ", ".join(f"{k}={v}" for k, v in p.configs.items()) for p in policies]
    finally:
        await admin.close()
    await _until_applied(settings, policies)
    return done


async def _until_applied(settings: Settings, policies: list[TopicPolicy], timeout: float = 15.0) -> None:
    """Wait until every topic reads back with its configs: a change accepted by the controller reaches the brokers'
    view a moment later (KRaft), and a topic that still showed the broker's default would be reported as set."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await describe(settings, [p.name for p in policies])
        behind = [f"{p.name} {k}={current.get(p.name, {}).get(k)!r} (wanted {v})"
                  for p in policies for k, v in p.configs.items() if current.get(p.name, {}).get(k) != v]
        if not behind:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("the topics' configs did not take effect: " + "; ".join(behind))
        await asyncio.sleep(0.2)


async def describe(settings: Settings, names: list[str]) -> dict[str, dict[str, str]]:
    """The current configs of topics (name -> config -> value)."""
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    return {resource[3]: {entry[0]: entry[1] for entry in resource[4]}
            for response in responses for resource in response.resources}
