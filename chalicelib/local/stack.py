"""``make run``: the whole product on this machine.

An embedded AWS endpoint (moto server), the journey table built from ``infra/template.json``, the
seeded demo tenants, and the API with its demo website, until Ctrl-C.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType

PROJECT_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
TABLE_NAME = "leadtrail-local"


def local_environment(api_port: int, aws_port: int) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": f"http://{HOST}:{aws_port}",
        "TABLE_NAME": TABLE_NAME,
        "STAGE": "local",
        "DEMO_SITE": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "PUBLIC_URL": f"http://{HOST}:{api_port}",
    }


class PortProblem(Exception):
    """A port the stack cannot listen on, said in one line that names the variable that moves it."""


def port_from(variable: str, default: int) -> int:
    text = os.environ.get(variable, str(default)).strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise PortProblem(f"{variable}={text!r} is not a port number (1-65535); set {variable} to a free port")
    return int(text)


def check_free(port: int, variable: str, what: str) -> None:
    """Fail at once, before anything starts, when another process listens on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: a port left in TIME_WAIT by the last run is free; a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            busy = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
            raise PortProblem(f"port {port} ({what}) {busy}: stop what uses it, or set {variable} to another "
                              f"port, e.g. {variable}={port + 1} make run") from None


def main() -> int:
    try:
        api_port = port_from("PORT", 8000)
        aws_port = port_from("LOCAL_AWS_PORT", 4566)
        if api_port == aws_port:
            raise PortProblem(f"PORT and LOCAL_AWS_PORT are both {api_port}; give them different ports")
        check_free(api_port, "PORT", "the API")
        check_free(aws_port, "LOCAL_AWS_PORT", "the AWS emulator")
    except PortProblem as problem:
        print(f"Leadtrail local stack: {problem}", file=sys.stderr, flush=True)
        return 1
    os.environ.update(local_environment(api_port, aws_port))

    import boto3
    from chalice.cli import create_local_server
    from chalice.cli.factory import CLIFactory
    from moto.server import ThreadedMotoServer

    from chalicelib.adapters.dynamo import Repositories
    from chalicelib.local import emulator, gateway
    from chalicelib.local.provision import create_tables
    from chalicelib.local.seed import DEMO_ADMIN_KEY, DEMO_OWNER_KEYS, OTHER_ADMIN_KEY, seed

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    emulator.install()  # moto and chalice's dev server, patched to hold load: see that module
    gateway.install()  # unknown routes answer the template's JSON 404, as API Gateway does in AWS
    aws = ThreadedMotoServer(ip_address=HOST, port=aws_port, verbose=False)
    aws.start()
    client = boto3.client("dynamodb")
    create_tables(client, {"JourneyTable": TABLE_NAME})
    api_origin = f"http://{HOST}:{api_port}"
    repositories = Repositories(TABLE_NAME, client)
    seed(repositories.tenancy, repositories.journeys, api_origin)

    from chalicelib import bootstrap
    from chalicelib.adapters.timers import LocalTimers
    from chalicelib.domain.clock import system_clock
    from chalicelib.local.mail import PrintingMailer
    from chalicelib.local.stream_reader import StreamReader

    factory = CLIFactory(str(PROJECT_DIR), environ=os.environ)
    server = create_local_server(factory, HOST, api_port, "local")
    # Step Functions' stand-in: the same deadline handler, run in-process at each due time.
    wiring = bootstrap.Container(mailer_override=PrintingMailer())
    from chalicelib.local.ttl import expire_items

    def sweep() -> int:
        expire_items(client, TABLE_NAME)  # DynamoDB's TTL, which moto does not run
        fired = wiring.sweep()
        wiring.fold_landings()
        return fired

    timers = LocalTimers(lambda tenant, timer_id: wiring.fire_due(tenant, timer_id), system_clock, sweep=sweep)
    wiring.timers_override = timers
    bootstrap.use(wiring)
    timers.begin()
    # The change stream's Lambda trigger, locally: e-mails, webhooks, timers and counters follow from it.
    stream = StreamReader(client, boto3.client("dynamodbstreams"), TABLE_NAME, wiring.change_stream.handle_batch)
    stream.begin()
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(
        f"\nLeadtrail local stack\n"
        f"  API            {api_origin}\n"
        f"  demo website   {api_origin}/demo\n"
        f"  AWS endpoint   http://{HOST}:{aws_port}  (table {TABLE_NAME})\n"
        f"  admin keys     demo: {DEMO_ADMIN_KEY}   other: {OTHER_ADMIN_KEY}\n"
        f"  owner keys     {'   '.join(f'{owner}: {key}' for owner, key in DEMO_OWNER_KEYS.items())}\n"
        f"  timers         in-process, same deadline handler as the state machine; TTL deletions once a minute\n"
        f"  change stream  read from the emulator, same consumers as the Lambda (e-mails print here)\n"
        f"  data           in memory: kept until the stack stops; each start seeds the demo again\n"
        f"  try            curl -H 'Authorization: Bearer {DEMO_ADMIN_KEY}' '{api_origin}/leads?stage=consideration'\n"
        f"Ctrl-C stops everything.\n",
        flush=True,
    )
    try:
        server.serve_forever()
    finally:
        stream.stop()
        timers.stop()
        server.server.server_close()
        aws.stop()
        print("Local stack stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
