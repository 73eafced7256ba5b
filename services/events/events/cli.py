"""`ekinerja-events`: the operator's tool for the public events.

  broker setup                     the public vhost and exchange, the services' account allowed there
  types                            the public event types (personal ones marked)
  subscribers add NAME --types T.. a broker account on the public vhost for the granted types, and an
                                   API key for the replay feed (both printed once); --personal-data to
                                   grant a personal type
  subscribers remove NAME | list
  webhooks add NAME --url URL --types T.. --owner-email ADDR [--secret whsec_...]
  webhooks list | deliveries NAME [--state S] | enable NAME | retry NAME | remove NAME

The database is EVENTS_DATABASE_URL (else var/events.db); the broker's management API is
RABBITMQ_MANAGEMENT_URL with RABBITMQ_ADMIN_USER/RABBITMQ_ADMIN_PASSWORD (default: AMQP_URI's account).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote, urlsplit

from ekinerja_kernel import config
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.publicevents import PUBLIC_EXCHANGE, catalogue

from . import handlers
from .broker import BrokerError, Management, _credentials, queue_prefix
from .domain import keys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ekinerja-events", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    broker = sub.add_parser("broker", help="the broker's public side")
    broker.add_argument("action", choices=["setup"])
    broker.add_argument("--publisher", help="the account the services publish with (default: AMQP_URI's)")
    sub.add_parser("types", help="the public event types")

    subs = sub.add_parser("subscribers", help="systems subscribing over AMQP and the replay feed")
    subs_action = subs.add_subparsers(dest="action", required=True)
    add = subs_action.add_parser("add")
    add.add_argument("name")
    add.add_argument("--types", nargs="+", required=True, metavar="TYPE")
    add.add_argument("--personal-data", action="store_true", help="allow types carrying NIK or email")
    add.add_argument("--owner-email")
    subs_action.add_parser("remove").add_argument("name")
    subs_action.add_parser("list").add_argument("--json", action="store_true")

    hooks = sub.add_parser("webhooks", help="systems receiving signed HTTP POSTs")
    hooks_action = hooks.add_subparsers(dest="action", required=True)
    hook_add = hooks_action.add_parser("add")
    hook_add.add_argument("name")
    hook_add.add_argument("--url", required=True)
    hook_add.add_argument("--types", nargs="+", required=True, metavar="TYPE")
    hook_add.add_argument("--owner-email", required=True, help="told by mail when the webhook is disabled")
    hook_add.add_argument("--secret", help="whsec_... (default: a new random one, printed once)")
    hook_add.add_argument("--personal-data", action="store_true")
    hooks_action.add_parser("list").add_argument("--json", action="store_true")
    deliveries = hooks_action.add_parser("deliveries")
    deliveries.add_argument("name")
    deliveries.add_argument("--state", choices=["pending", "delivered", "failed"])
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.add_argument("--json", action="store_true")
    for action in ("enable", "retry", "remove"):
        hooks_action.add_parser(action).add_argument("name")
    return parser


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _public_url(name: str, password: str) -> str:
    parts = urlsplit(config.amqp_uri().split(";")[0])
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5672
    vhost = quote(config.public_vhost(), safe="")
    return f"amqp://{quote(name, safe='')}:{quote(password, safe='')}@{host}:{port}/{vhost}"


def _subscribers(factory, args: argparse.Namespace) -> int:
    vhost = config.public_vhost()
    if args.action == "list":
        found = handlers.list_subscribers(factory)
        if args.json:
            _print(found)
        for s in [] if args.json else found:
            print(f"{s['name']:24} {', '.join(s['types'])}")
        return 0
    management = Management.from_env()
    if args.action == "remove":
        management.remove_subscriber(vhost, args.name)
        gone = handlers.remove_subscriber(factory, args.name)
        print(f"subscriber {args.name} removed" if gone else f"no subscriber {args.name} (its account is gone too)")
        return 0
    types, api_key = handlers.add_subscriber(factory, args.name, args.types, args.personal_data, args.owner_email)
    password = keys.new_password()
    try:
        if management.user_exists(args.name):
            raise BrokerError(f"the broker already has a user {args.name}: choose another name")
        management.add_subscriber(vhost, args.name, password, types)
    except BrokerError:
        handlers.remove_subscriber(factory, args.name)
        raise
    _print({"subscriber": args.name, "types": types, "amqp": {
        "url": _public_url(args.name, password), "user": args.name, "password": password, "vhost": vhost,
        "exchange": PUBLIC_EXCHANGE, "queue_prefix": queue_prefix(args.name),
        "bind": "each granted type by its full name as the routing key"},
        "replay": {"api_key": api_key,
                   "request": "GET /api/v1/events?after=CURSOR with 'Authorization: Bearer <api_key>'"},
        "note": "The password and the API key are shown only now."})
    return 0


def _webhooks(factory, args: argparse.Namespace) -> int:
    if args.action == "add":
        row = handlers.add_webhook(factory, args.name, args.url, args.types, args.owner_email, args.secret,
                                   args.personal_data)
        _print({"webhook": row["name"], "url": row["url"], "types": row["types"], "secret": row["secret"],
                "note": "Verify each POST with this secret (Standard Webhooks); it is shown only now."})
        return 0
    if args.action == "list":
        found = handlers.list_webhooks(factory)
        if args.json:
            _print(found)
            return 0
        for h in found:
            d = h["deliveries"]
            print(f"{h['name']:20} {h['state']:9} pending {d['pending']:<6} delivered {d['delivered']:<7} "
                  f"failed {d['failed']:<5} {h['url']}")
            if h["failing_since"]:
                print(f"{'':20} failing since {h['failing_since']}" + (f": {h['disabled_reason']}"
                                                                        if h["disabled_reason"] else ""))
        return 0
    if args.action == "deliveries":
        found = handlers.list_deliveries(factory, args.name, args.state, args.limit)
        if args.json:
            _print(found)
            return 0
        for d in found:
            print(f"{d['cursor']:>8} {d['event_id']} {d['type']:40} {d['state']:9} tries {d['attempts']} "
                  f"{d['last_status'] or ''} {d['last_error'] or ''}")
        return 0
    if args.action == "enable":
        print(f"webhook {args.name} enabled; {handlers.enable_webhook(factory, args.name)} deliveries waiting")
    elif args.action == "retry":
        print(f"{handlers.retry_failed(factory, args.name)} failed deliveries of {args.name} to be tried again")
    else:
        handlers.remove_webhook(factory, args.name)
        print(f"webhook {args.name} removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "types":
        for t in catalogue().values():
            print(f"{t.type:45} {t.title}{'  [personal data]' if t.personal else ''}")
        return 0
    try:
        if args.command == "broker":
            publisher = args.publisher or _credentials(config.amqp_uri())[0]
            Management.from_env().setup(config.public_vhost(), publisher)
            print(f"public vhost {config.public_vhost()} with exchange {PUBLIC_EXCHANGE} ready; "
                  f"{publisher} may publish")
            return 0
        engine = make_engine(config.database_url("events"))
        try:
            factory = session_factory(engine)
            return (_subscribers if args.command == "subscribers" else _webhooks)(factory, args)
        finally:
            engine.dispose()
    except DomainError as error:
        print(json.dumps(error.to_problem(), ensure_ascii=False), file=sys.stderr)
        return 2
    except BrokerError as error:
        print(f"broker: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
