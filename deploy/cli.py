"""The `exemplar` command line: run the demo suite, run the tests, issue role tokens, manage local servers."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import webbrowser
from pathlib import Path

import typer

from shared.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PROG = "exemplar"
app = typer.Typer(name=PROG, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Competition and exemplar selection programme (创先争优 / 评选表彰). Run from the repository "
                       "with ./exemplar; `./exemplar COMMAND --help` documents each command.")
KAFKA_CHOICE_HELP = ("Which local Kafka to run: apache (Apache Kafka's own broker, KRaft, on Java 17+), noida "
                     "(noida-db) or auto (Apache Kafka wherever Java 17+ can be had, else noida-db, saying so). "
                     "Default: $EXEMPLAR_KAFKA_IMPL, else auto.")


def say(msg: str) -> None:
    typer.echo(f"[{time.strftime('%H:%M:%S')}] {msg}")


def _choose_kafka(requested: str | None) -> str:
    """Resolve --kafka / $EXEMPLAR_KAFKA_IMPL once (installing Java and Maven as root when they are missing), fetch
    Apache Kafka's jars with progress if needed, and export the choice to every child process."""
    from devtools.servers import choose_kafka_impl

    try:
        impl = choose_kafka_impl(requested, install=True, say=say)
    except (ValueError, RuntimeError) as exc:
        typer.echo(f"{PROG}: {exc}", err=True)
        raise typer.Exit(2) from None
    if impl == "apache":
        from devtools import apache_kafka

        try:
            apache_kafka.ensure_classpath(progress=say)
        except (RuntimeError, OSError) as exc:
            if (requested or os.environ.get("EXEMPLAR_KAFKA_IMPL") or "auto").lower() == "apache":
                typer.echo(f"{PROG}: {exc}", err=True)
                raise typer.Exit(2) from None
            say(f"Apache Kafka's jars could not be fetched ({str(exc).splitlines()[0]}): running noida-db instead")
            impl = "noida"
    os.environ["EXEMPLAR_KAFKA_IMPL"] = impl
    return impl


def connection_problem(exc: BaseException, settings: Settings) -> str | None:
    """One line naming the setting to fix when exc says Kafka or MongoDB could not be reached, else None."""
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
    from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

    if isinstance(exc, (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError)):
        return (f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(exc).__name__}); set "
                f"EXEMPLAR_KAFKA_BOOTSTRAP "
                f"to your brokers (`./exemplar status` shows what runs where)")
    if isinstance(exc, (ServerSelectionTimeoutError, ConnectionFailure)):
        return (f"cannot reach MongoDB at {settings.mongo_url} ({type(exc).__name__}); set EXEMPLAR_MONGO_URL "
                f"to your replica set (`./exemplar status` shows what runs where)")
    if isinstance(exc, ConnectionRefusedError):
        return (f"connection refused ({exc}); check EXEMPLAR_KAFKA_BOOTSTRAP ({settings.kafka_bootstrap}) and "
                f"EXEMPLAR_MONGO_URL ({settings.mongo_url})")
    return None


def run_ops(settings: Settings, coro):
    """Run an operation against the installation; a connection failure is one line and exit code 2, not a
    traceback."""
    import logging

    # aiokafka logs each failed connection attempt itself ("Unable connect to ..."); the line below says it once.
    logging.getLogger("aiokafka").addHandler(logging.NullHandler())
    try:
        return asyncio.run(coro)
    except Exception as exc:  # noqa: BLE001 - anything else is re-raised as it is
        problem = connection_problem(exc, settings)
        if problem is None:
            cause = exc.__cause__ or exc.__context__
            problem = connection_problem(cause, settings) if cause is not None else None
        if problem is None:
            raise
        typer.echo(f"{PROG}: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def demo(
    open_browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the leaderboard in a browser."),
    seed: bool = typer.Option(True, "--seed/--no-seed", help="Seed the demo programme and play a short flow."),
    free_ports: bool = typer.Option(False, help="Use free ports instead of the well-known ones (for tests)."),
    run_dir: Path = typer.Option(REPO / ".run", help="Where data directories and logs go (made fresh each run)."),
    exit_after_start: bool = typer.Option(False, help="Stop once everything is up and seeded (for checks)."),
    kafka: str = typer.Option(None, "--kafka", metavar="[apache|noida|auto]", help=KAFKA_CHOICE_HELP),
) -> None:
    """Run the whole suite (local Kafka and MongoDB, four services, projector, dashboard) on a demo programme,
    and print the `export EXEMPLAR_...` lines that let other commands (dlq, replay, status) reach it."""
    from devtools.demo.run import seed_demo
    from devtools.stack import Stack

    started = time.monotonic()
    impl = _choose_kafka(kafka)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    stack = Stack(run_dir, fixed_ports=not free_ports, kafka_impl=impl)
    stopping = False

    def _term(*_):
        nonlocal stopping
        if stopping:
            return  # already stopping: a second Ctrl-C must not cut the clean-up short
        stopping = True
        raise KeyboardInterrupt

    # Installed explicitly: a process started in the background may inherit SIGINT ignored.
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    try:
        stack.start(progress=say)
        say("all services are ready")
        if seed:
            settings = Settings(**{k.removeprefix("EXEMPLAR_").lower(): v for k, v in stack.env.items()
                                   if k in ("EXEMPLAR_KAFKA_BOOTSTRAP", "EXEMPLAR_MONGO_URL", "EXEMPLAR_DB_PREFIX",
                                            "EXEMPLAR_TOPIC_PREFIX")})
            ctx = asyncio.run(seed_demo(stack.urls, settings, progress=say))
            _print_demo_links(ctx, stack.urls.get("dashboard", ""))
        typer.echo("")
        typer.echo(f"  Leaderboard (排行榜)      {stack.urls.get('dashboard', '-')}")
        for name in stack.services:
            typer.echo(f"  {name:<24} {stack.urls[name]}/docs   (AsyncAPI: {stack.urls[name]}/asyncapi)")
        _print_demo_env(stack, run_dir)
        say(f"READY in {time.monotonic() - started:.0f}s — press Ctrl-C to stop")
        if exit_after_start:
            return
        if open_browser and "dashboard" in stack.urls:
            webbrowser.open(stack.urls["dashboard"])
        while not stopping:
            for name, mp in stack.processes.items():
                if not mp.alive():
                    say(f"{name} exited unexpectedly; see {mp.log_path}")
                    raise typer.Exit(1)
            time.sleep(1)
    except KeyboardInterrupt:
        typer.echo("")
    except (RuntimeError, TimeoutError) as exc:
        say(f"could not start the suite: {exc}")
        raise typer.Exit(1) from None
    finally:
        stopping = True
        say("stopping …")
        stack.stop()
        (run_dir / "stack.json").unlink(missing_ok=True)  # `exemplar status`: no demo runs here any more
        say("stopped")


def _print_demo_links(ctx, dashboard_url: str) -> None:
    from devtools.demo.signin import demo_links

    typer.echo("")
    typer.echo("  Sign-in links (登录链接, single use; open one in the browser):")
    for role, name, url in asyncio.run(demo_links(ctx, dashboard_url)):
        typer.echo(f"  {role:<10} {name:<14} {url}")


def _ensure_test_packages(browser: bool) -> None:
    """Install the Debian packages the tests need and this machine lacks: CJK fonts (the PDF notices embed one) and
    poppler-utils (the tests read the PDFs back) for every tier, Chromium for the browser tests. Only as root with
    apt-get; otherwise the tests that need them say what is missing."""
    from services.publicity.documents import CJK_FONT_FILES

    if os.environ.get("EXEMPLAR_SKIP_BROWSER_INSTALL"):
        return
    missing = []
    if not any(Path(path).is_file() for path, _ in CJK_FONT_FILES):
        missing.append("fonts-noto-cjk")
    if shutil.which("pdftotext") is None:
        missing.append("poppler-utils")
    if browser and not Path("/usr/bin/chromium").exists():
        missing.append("chromium")
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"installing Debian's {', '.join(missing)} for the tests …")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=env)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def test(
    ctx: typer.Context,
    unit: bool = typer.Option(False, "--unit", help="Only the tests that need no server (the fast tier): no local "
                                                    "Kafka or MongoDB, no service process, no browser."),
    kafka: str = typer.Option(None, "--kafka", metavar="[apache|noida|auto]", help=KAFKA_CHOICE_HELP),
) -> None:
    """Run every test: unit, integration and end-to-end against real local servers, and the browser tests.
    Further arguments go to pytest (e.g. `./exemplar test tests/voting -x`)."""
    # The `servers` marker is set by tests/conftest.py on every test that needs a server or starts processes.
    tier = ["-m", "not servers"] if unit else []
    if not unit:
        impl = _choose_kafka(kafka)
        say(f"the tests' Kafka: {impl_label(impl)}")
    _ensure_test_packages(browser=not unit)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *tier, *ctx.args]
    say("running " + " ".join(args[2:]))
    code = subprocess.call(args, cwd=REPO)
    raise typer.Exit(code)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def conformance(
    ctx: typer.Context,
    kafka: str = typer.Option("noida", "--kafka", metavar="[noida|apache]",
                              help="The broker to run the Kafka-facing subset on (default noida: the whole suite "
                                   "runs on Apache Kafka, this subset checks the fallback broker)."),
) -> None:
    """Run the Kafka-facing tests (marked conformance) on one broker, by default noida-db, the fallback where Java
    cannot be had. Further arguments go to pytest."""
    impl = _choose_kafka(kafka)
    say(f"the Kafka-facing tests (-m conformance) on {impl_label(impl)}")
    env = dict(os.environ, EXEMPLAR_TEST_KAFKA_IMPL=impl)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "-m", "conformance", *ctx.args]
    raise typer.Exit(subprocess.call(args, cwd=REPO, env=env))


@app.command()
def token(
    role: str = typer.Argument(..., help="organiser, unit, member or judge"),
    subject: str = typer.Option("", help="Who the token is for (defaults to the role)."),
    unit_id: str = typer.Option(None, help="The unit a unit token acts for."),
    member_id: str = typer.Option(None, help="The member a member token belongs to."),
    judge_id: str = typer.Option(None, help="The judge a judge token belongs to."),
    name: str = typer.Option("", help="Display name."),
    hours: int = typer.Option(12, help="Validity in hours."),
) -> None:
    """Issue a signed role token (uses EXEMPLAR_AUTH_SECRET)."""
    from shared.auth import ROLES, issue_token

    if role not in ROLES:
        typer.echo(f"role must be one of: {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    if role == "unit" and not unit_id:
        typer.echo("a unit token needs --unit-id", err=True)
        raise typer.Exit(2)
    if role == "member" and not member_id:
        typer.echo("a member token needs --member-id", err=True)
        raise typer.Exit(2)
    if role == "judge" and not judge_id:
        typer.echo("a judge token needs --judge-id", err=True)
        raise typer.Exit(2)
    typer.echo(issue_token(Settings(), role=role, subject=subject or role, unit_id=unit_id, member_id=member_id,
                           judge_id=judge_id, name=name, ttl_seconds=hours * 3600))


@app.command("signin-link")
def signin_link(
    role: str = typer.Argument(..., help="organiser, unit, judge or member"),
    subject_id: str = typer.Argument(None, help="The unit, judge or member id (not for an organiser)."),
    name: str = typer.Option("", help="The name shown once signed in."),
    programme_id: str = typer.Option(None, help="The programme the link belongs to (optional)."),
    hours: float = typer.Option(72, help="How long the link stays valid."),
    base_url: str = typer.Option(None, help="The dashboard's address (default EXEMPLAR_DASHBOARD_URL or "
                                            "http://127.0.0.1:8501)."),
) -> None:
    """Print a single-use sign-in link (uses EXEMPLAR_AUTH_SECRET); the first organiser signs in with it."""
    from shared.signin_links import DEFAULT_DASHBOARD_URL, MAX_LINK_HOURS, link_url, mint_link_token

    try:
        if not 0 < hours <= MAX_LINK_HOURS:
            raise ValueError(f"--hours must be more than 0 and at most {MAX_LINK_HOURS}")
        token, _ = mint_link_token(Settings(), role=role, subject_id=subject_id, name=name or (subject_id or role),
                                   programme_id=programme_id, hours=hours)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(link_url(base_url or os.environ.get("EXEMPLAR_DASHBOARD_URL") or DEFAULT_DASHBOARD_URL, token))


@app.command()
def servers(
    kafka_port: int = typer.Option(19092, help="Kafka's port on 127.0.0.1."),
    mongo_port: int = typer.Option(27027, help="MongoDB's (SecantusDB's) port on 127.0.0.1."),
    data_dir: Path = typer.Option(None, help="Defaults to a fresh temporary directory."),
    kafka: str = typer.Option(None, "--kafka", metavar="[apache|noida|auto]", help=KAFKA_CHOICE_HELP),
) -> None:
    """Run the local Kafka (Apache Kafka or noida-db) and MongoDB (SecantusDB) servers in the foreground, and print
    the `export EXEMPLAR_...` lines that reach them."""
    from devtools.servers import main as servers_main

    impl = _choose_kafka(kafka)
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="exemplar-servers-"))
    servers_main(["--kafka-port", str(kafka_port), "--mongo-port", str(mongo_port), "--data-dir", str(data_dir),
                  "--kafka", impl])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    kafka: str = typer.Option(None, "--kafka", metavar="[apache|noida|auto]", help=KAFKA_CHOICE_HELP),
) -> None:
    """Benchmark the suite end to end against the raw Kafka and MongoDB limits measured in the same run
    (options: see `./exemplar bench --help-bench`; e.g. --quick, --replicas 2, --million)."""
    args = ["--help" if a == "--help-bench" else a for a in ctx.args]
    if "--help" not in args:
        say(f"benchmarking on {impl_label(_choose_kafka(kafka))}")
    raise typer.Exit(subprocess.call([sys.executable, "-m", "benchmarks.run", *args], cwd=REPO))


dlq = typer.Typer(help="Dead letters: messages a consumer could not process, with the reason.")
app.add_typer(dlq, name="dlq")


@dlq.command("list")
def dlq_list() -> None:
    """List the dead letters with their consumer and reason."""
    from deploy.ops import dead_letters

    settings = Settings()
    letters = run_ops(settings, dead_letters(settings))
    for d in letters:
        typer.echo(f"{d.failed_at:%Y-%m-%d %H:%M:%S}  {d.consumer:<12} {d.topic}@{d.partition}:{d.offset}  {d.reason}")
    typer.echo(f"{len(letters)} dead letter(s)")


@dlq.command("redrive")
def dlq_redrive(
    consumer: str = typer.Option(None, help="Only the letters of this consumer (service)."),
    contains: str = typer.Option(None, help="Only letters whose reason contains this text."),
    dry_run: bool = typer.Option(False, help="Show what would be re-driven."),
) -> None:
    """Publish dead letters to their topic again once the cause is fixed (consumers apply each event once)."""
    from deploy.ops import redrive

    settings = Settings()
    letters = run_ops(settings, redrive(settings, consumer=consumer, contains=contains, dry_run=dry_run))
    typer.echo(f"{'would re-drive' if dry_run else 're-drove'} {len(letters)} message(s)")


@app.command()
def replay(timeout: float = typer.Option(300.0, help="Seconds to wait for each rebuild to catch up."),
           only: str = typer.Option(None, help="Comma-separated read models (default: all of them): leaderboard, "
                                    "nominations, voting, scoring, publicity.")) -> None:
    """Rebuild every read model from the Kafka topics (the leaderboard, and what each service learns from the
    others' events) and prove each equal to the live one; exit 1 listing the differences otherwise."""
    from deploy.ops import READ_MODELS, replay as replay_all

    names = [n.strip() for n in only.split(",") if n.strip()] if only else list(READ_MODELS)
    unknown = [n for n in names if n not in READ_MODELS]
    if unknown:
        typer.echo(f"--only: no read model {', '.join(unknown)}; there are {', '.join(READ_MODELS)}", err=True)
        raise typer.Exit(2)
    settings = Settings()
    reports = run_ops(settings, replay_all(settings, names, timeout=timeout))
    for r in reports:
        counts = ", ".join(f"{c} {n}" for c, n in r.documents.items())
        verdict = "equal" if r.equal else f"{len(r.differences)} difference(s)"
        typer.echo(f"{r.name}: {counts} ({r.seconds:.1f}s): {verdict}")
    differences = [d for r in reports for d in r.differences]
    if not differences:
        typer.echo("every rebuilt read model equals the live one")
        return
    for line in differences[:50]:
        typer.echo("  " + line)
    if len(differences) > 50:
        typer.echo(f"  ... and {len(differences) - 50} more")
    raise typer.Exit(1)


@app.command()
def archive(
    programme_id: str = typer.Argument(..., help="The programme to archive, e.g. p2026."),
    out: Path = typer.Option(..., "--out", help="The .zip file to write."),
    token: str = typer.Option(None, envvar="EXEMPLAR_TOKEN", help="An organiser's bearer token for the services "
                              "(default: one issued here with EXEMPLAR_AUTH_SECRET, where no OIDC issuer is set)."),
) -> None:
    """Export a programme's events (every events topic, its envelopes only) and documents (definition, nominations,
    notices, honours, audit trail, attachments) to one .zip with a manifest: counts and the sha256 of each part."""
    from deploy.archive import archive_programme
    from shared.auth import issue_token

    settings = Settings()
    if token is None and not settings.auth_jwks_url:
        token = issue_token(settings, role="organiser", subject="exemplar-archive", name="exemplar archive",
                            ttl_seconds=3600)
    manifest = run_ops(settings, archive_programme(settings, programme_id, out, token=token))
    events = manifest["events"]
    typer.echo(f"{out}: {events['total']} events ({', '.join(f'{t} {n}' for t, n in events['by_topic'].items())}), "
               f"{manifest['documents']} documents")
    for miss in manifest["unreachable"]:
        typer.echo(f"  not archived: {miss['url']} ({miss['why']})")
    if events["total"] == 0:
        typer.echo(f"{PROG}: no event of programme {programme_id} on the topics (check EXEMPLAR_TOPIC_PREFIX)",
                   err=True)
        raise typer.Exit(1)


@app.command("topics")
def topics_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the policy without changing anything."),
) -> None:
    """Create the installation's topics, or bring existing ones to the policy: partitions, replication factor,
    min.insync.replicas and retention (EXEMPLAR_KAFKA_* settings; see deploy/topics.py and deploy/README.md)."""
    from deploy.topics import apply, plan

    settings = Settings()
    try:
        policies = plan(settings)
    except ValueError as exc:
        typer.echo(f"{PROG}: {exc}", err=True)
        raise typer.Exit(2) from None
    if dry_run:
        for p in policies:
            configs = ", ".join(f"{k}={v}" for k, v in p.configs.items())
            typer.echo(f"{p.name}: {p.partitions} partitions, replication {p.replication_factor}, {configs}")
        return
    for line in run_ops(settings, apply(settings, policies)):
        typer.echo(line)


@app.command()
def status(
    run_dir: Path = typer.Option(REPO / ".run", help="The demo's run directory (where it records what it started)."),
) -> None:
    """Show what runs where: the Kafka and MongoDB the EXEMPLAR_* settings (or a running demo) point at, and which
    services and the dashboard answer. Exit code 1 when something is down."""
    from deploy.status import collect

    state, lines = collect(Settings(), run_dir)
    if state:
        typer.echo(f"demo running (pid {state['pid']}, Kafka: {state.get('kafka_label', state.get('kafka'))}, "
                   f"run dir {run_dir}); `source {run_dir / 'env'}` points other commands at it")
    else:
        typer.echo("no demo recorded as running here; showing the EXEMPLAR_* settings (or the well-known ports)")
    for line in lines:
        typer.echo(f"  {line.name:<20} {line.state:<10} {line.where}   ({line.setting})")
    raise typer.Exit(0 if all(line.up for line in lines) else 1)


def impl_label(impl: str) -> str:
    from devtools.servers import kafka_label

    return kafka_label(impl)


def _print_demo_env(stack, run_dir: Path) -> None:
    """The servers' addresses, and the environment lines that let other commands reach them; also written to
    run_dir/env (for `source`) and run_dir/stack.json (for `exemplar status`)."""
    import json

    from deploy.status import STATE_FILE

    label = impl_label(stack.kafka_impl)
    typer.echo(f"  Kafka ({label}){' ' * max(1, 17 - len(label))}127.0.0.1:{stack.ports['kafka']}")
    typer.echo(f"  MongoDB (SecantusDB)     127.0.0.1:{stack.ports['mongodb']}")
    typer.echo(f"  Logs                     {run_dir / 'logs'}")
    typer.echo("")
    keep = ("EXEMPLAR_KAFKA_BOOTSTRAP", "EXEMPLAR_MONGO_URL", "EXEMPLAR_DB_PREFIX", "EXEMPLAR_TOPIC_PREFIX")
    env = {k: v for k, v in stack.env.items() if k in keep or k.endswith("_URL")}
    exports = [f"export {k}='{v}'" for k, v in env.items()]
    (run_dir / "env").write_text("\n".join(exports) + "\n")
    (run_dir / STATE_FILE).write_text(json.dumps({"pid": os.getpid(), "kafka": stack.kafka_impl, "kafka_label": label,
                                                   "env": env, "urls": stack.urls}, indent=2))
    typer.echo(f"  To reach these servers from another shell (dlq, replay, status), run `source {run_dir / 'env'}`:")
    for line in exports:
        typer.echo(f"    {line}")
    typer.echo("")


@app.command()
def verify(file: Path = typer.Argument(..., help="A downloaded public file: a round's bulletin "
                                                 "(GET /rounds/{id}/bulletin/file), or another kind it knows.")
           ) -> None:
    """Check a public file by its own contents (commitments, recomputed tally), without asking any server."""
    from shared.verify import load_and_verify

    report = load_and_verify(file)
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    app(prog_name=PROG)


if __name__ == "__main__":
    main()
